import { MicroBatcher } from '../../service/src/model/micro-batcher.js';

/** A fake session run that records each call's rows and scores row r as r / 100, after a tick. */
function recorder(fail = false) {
  const calls: number[][] = [];
  const run = async (rows: readonly number[]) => {
    calls.push([...rows]);
    await new Promise((r) => setImmediate(r));
    if (fail) throw new Error('session failed');
    return Float32Array.from(rows, (r) => r / 100);
  };
  return { calls, run };
}

describe('MicroBatcher', () => {
  it('runs a lone request at once, on its own', async () => {
    const { calls, run } = recorder();
    const batcher = new MicroBatcher(run, 64, 0);
    expect(Array.from(await batcher.score([7]))).toEqual([Math.fround(0.07)]);
    expect(calls).toEqual([[7]]);
  });

  it('puts requests that arrive during a run into the next run, and gives each its own scores in order', async () => {
    const { calls, run } = recorder();
    const batcher = new MicroBatcher(run, 64, 0);
    const answers = await Promise.all([
      batcher.score([1]),
      batcher.score([2, 3]),
      batcher.score([4]),
      batcher.score([5]),
    ]);
    expect(calls).toEqual([[1], [2, 3, 4, 5]]);
    expect(answers.map((a) => Array.from(a))).toEqual(
      [[1], [2, 3], [4], [5]].map((rows) => rows.map((r) => Math.fround(r / 100))),
    );
  });

  it('never puts more than maxRows rows in one run, and sends big requests straight through', async () => {
    const { calls, run } = recorder();
    const batcher = new MicroBatcher(run, 4, 0);
    await Promise.all([batcher.score([0]), ...Array.from({ length: 9 }, (_, i) => batcher.score([i + 1]))]);
    expect(calls.every((c) => c.length <= 4)).toBe(true);
    expect(calls.flat().sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    calls.length = 0;
    await batcher.score([1, 2, 3, 4, 5]);
    expect(calls).toEqual([[1, 2, 3, 4, 5]]);
  });

  it('fails every request of a failed run, and keeps working afterwards', async () => {
    const failing = recorder(true);
    const batcher = new MicroBatcher(failing.run, 64, 0);
    const results = await Promise.allSettled([batcher.score([1]), batcher.score([2]), batcher.score([3])]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
    const healthy = recorder();
    const next = new MicroBatcher(healthy.run, 64, 0);
    expect((await next.score([9])).length).toBe(1);
  });

  it('with a wait window, lets a lone request wait for company', async () => {
    const { calls, run } = recorder();
    const batcher = new MicroBatcher(run, 64, 5);
    const first = batcher.score([1]);
    await new Promise((r) => setTimeout(r, 1));
    const second = batcher.score([2]);
    await Promise.all([first, second]);
    expect(calls).toEqual([[1, 2]]);
  });
});
