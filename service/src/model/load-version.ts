import type { AppConfig } from '../config/app.config.js';
import { ArtifactCache } from './artifact-cache.js';
import { BatchingOptions, LoadedModel, NO_BATCHING } from './loaded-model.js';
import { MANIFEST_FILE, MODEL_FILE, ModelManifest, TREES_FILE } from './manifest.js';
import { ModelStore } from './model-store.js';
import { compileEncoder, EncoderFactory, ModelRejectedError, verifyArtifact } from './verify-artifact.js';

/** Reads one version from a store (through the local cache when one is given) and verifies it. */
export async function loadVersion(
  store: ModelStore,
  name: string,
  version: string,
  compile: EncoderFactory = compileEncoder,
  cache?: ArtifactCache,
  batching: BatchingOptions = NO_BATCHING,
): Promise<LoadedModel> {
  let manifest: ModelManifest;
  let bytes: Buffer;
  let trees: Buffer | undefined;
  let cached: boolean;
  try {
    manifest = JSON.parse(
      (await store.readVersionFile(name, version, MANIFEST_FILE)).toString('utf8'),
    ) as ModelManifest;
    const local = cache && manifest?.onnx?.sha256 ? await cache.get(name, version, manifest.onnx.sha256) : null;
    cached = local !== null;
    bytes = local ?? (await store.readVersionFile(name, version, MODEL_FILE));
    // Only the one file name the service knows: a manifest cannot make it read another key.
    if (manifest?.explanation) trees = await store.readVersionFile(name, version, TREES_FILE);
  } catch (error) {
    // Store errors name keys (name/versions/version/file), never a local path.
    throw new ModelRejectedError(version, `cannot read the artifact: ${(error as Error).message}`, error);
  }
  if (manifest?.version !== version || manifest?.name !== name) {
    throw new ModelRejectedError(
      version,
      `manifest names ${manifest?.name}@${manifest?.version}, expected ${name}@${version}`,
    );
  }
  const model = await verifyArtifact(manifest, bytes, compile, batching, trees);
  if (cache && !cached) await cache.put(name, version, bytes).catch(() => undefined);
  return model;
}

/** How the service scores with a loaded version: its micro-batching and ONNX Runtime threads, from configuration. */
export const servingBatching = (
  config: Pick<AppConfig, 'microbatchMaxRows' | 'microbatchWaitMs' | 'ortIntraOpThreads'>,
): BatchingOptions => ({
  maxRows: config.microbatchMaxRows,
  waitMs: config.microbatchWaitMs,
  intraOpThreads: config.ortIntraOpThreads,
});
