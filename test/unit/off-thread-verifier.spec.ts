import { ModelRejectedError } from '../../service/src/model/verify-artifact.js';
import { OffThreadVerifier } from '../../service/src/model/off-thread-verifier.js';

/*
 * The verifier's deadline and limits, with stand-in workers (data: URLs) that hang, spin or grow: the version is
 * refused with a reason, and this thread keeps running all the while.
 */
const worker = (source: string) => new URL(`data:text/javascript,${encodeURIComponent(source)}`);
const FILES = { manifest: Buffer.from('{}'), onnx: Buffer.alloc(0) };

/** How late a 20 ms timer fires at worst while `during` runs: the serving thread's stall. */
async function worstTimerLag(during: Promise<unknown>): Promise<number> {
  let worst = 0;
  let done = false;
  void during.finally(() => (done = true)).catch(() => undefined);
  while (!done) {
    const started = performance.now();
    await new Promise((r) => setTimeout(r, 20));
    worst = Math.max(worst, performance.now() - started - 20);
  }
  return worst;
}

describe('OffThreadVerifier', () => {
  it('passes what its worker accepts, and refuses with the reason its worker gives', async () => {
    const accept = new OffThreadVerifier(
      5_000,
      worker(
        `import { parentPort } from 'node:worker_threads'; parentPort.once('message', () => parentPort.postMessage({ ok: true }));`,
      ),
    );
    await expect(accept.verify('v1', FILES)).resolves.toBeUndefined();
    const refuse = new OffThreadVerifier(
      5_000,
      worker(
        `import { parentPort } from 'node:worker_threads'; parentPort.once('message', () => parentPort.postMessage({ ok: false, reason: 'tree 0 node 2: has two parents' }));`,
      ),
    );
    await expect(refuse.verify('v2', FILES)).rejects.toThrow(
      'model version v2 rejected: tree 0 node 2: has two parents',
    );
  });

  it('refuses a version whose verification spins past the deadline, while this thread keeps its timers', async () => {
    const spin = new OffThreadVerifier(1_500, worker(`for (;;) {}`));
    const verifying = spin.verify('v3', FILES);
    const lag = await worstTimerLag(verifying);
    await expect(verifying).rejects.toThrow(ModelRejectedError);
    await expect(verifying).rejects.toThrow(/did not finish within 1500 ms \(MODEL_VERIFY_TIMEOUT_MS\)/);
    expect(lag).toBeLessThan(200);
  });

  it('refuses a version whose verification outgrows the worker heap, and stays up', async () => {
    const grow = new OffThreadVerifier(
      60_000,
      worker(`const kept = []; for (;;) kept.push(new Array(1e6).fill({ a: Math.random() }));`),
    );
    await expect(grow.verify('v4', FILES)).rejects.toThrow(
      /needed more than 256 MB of heap|verification (failed|ended)/,
    );
  });
});
