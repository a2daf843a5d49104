import { Worker } from 'node:worker_threads';
import type { ArtifactBytes, ArtifactPreflight } from './load-version.js';
import { ModelRejectedError } from './verify-artifact.js';

/** Where the model services find the preflight: OffThreadVerifier.verify in the service, none in unit specs. */
export const ARTIFACT_PREFLIGHT = Symbol('ARTIFACT_PREFLIGHT');

/** A verifying worker's own heap: trees and manifests within the artifact limits need a fraction of it. */
const WORKER_HEAP_MB = 256;

/**
 * Verifies each candidate version on a worker thread of its own, with a deadline, before the serving thread
 * touches it: a version whose files would take the thread for long (a tree that is really a DAG, tables of
 * hundreds of MB, a graph ONNX Runtime chews on) is refused with a reason while the current one keeps answering.
 * The worker is ended at the deadline; native work it was in (a session being made) finishes on its own thread.
 */
export class OffThreadVerifier {
  constructor(
    private readonly timeoutMs: number,
    private readonly workerUrl: URL = new URL('./verify-worker.js', import.meta.url),
  ) {}

  readonly verify: ArtifactPreflight = (version, files) =>
    new Promise<void>((resolve, reject) => {
      const worker = new Worker(this.workerUrl, { resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB } });
      let settled = false;
      const settle = (reason: string | null) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        void worker.terminate();
        if (reason === null) resolve();
        else reject(new ModelRejectedError(version, reason));
      };
      const timer = setTimeout(
        () => settle(`verification did not finish within ${this.timeoutMs} ms (MODEL_VERIFY_TIMEOUT_MS)`),
        this.timeoutMs,
      );
      worker.once('message', (answer: { ok: boolean; reason?: string }) => settle(answer.ok ? null : answer.reason!));
      worker.once('error', (error: Error & { code?: string }) =>
        settle(
          error.code === 'ERR_WORKER_OUT_OF_MEMORY'
            ? `verification needed more than ${WORKER_HEAP_MB} MB of heap`
            : `verification failed: ${error.message}`,
        ),
      );
      worker.once('exit', (code) => settle(`verification ended early (exit ${code})`));
      const message: ArtifactBytes = files;
      worker.postMessage(message);
    });
}
