import { parentPort } from 'node:worker_threads';
import type { ArtifactBytes } from './load-version.js';
import type { ModelManifest } from './manifest.js';
import { ModelRejectedError, verifyArtifact } from './verify-artifact.js';

/**
 * One candidate version verified in full (parse, trees, TreeSHAP tables, an ONNX Runtime session, canaries), on
 * this worker thread, then released: the answer is whether the serving thread may load it. The worker is made
 * for one version and ended after it (or at its deadline), so a hostile file costs this thread, not the service.
 */
parentPort!.once('message', async (files: ArtifactBytes) => {
  try {
    const manifest = JSON.parse(Buffer.from(files.manifest).toString('utf8')) as ModelManifest;
    const model = await verifyArtifact(manifest, files.onnx, undefined, undefined, files.trees);
    await model.release();
    parentPort!.postMessage({ ok: true });
  } catch (error) {
    const reason = error instanceof ModelRejectedError ? error.reason : (error as Error).message;
    parentPort!.postMessage({ ok: false, reason });
  }
});
