import type { AppConfig } from '../config/app.config.js';
import { ArtifactCache } from './artifact-cache.js';
import { BatchingOptions, LoadedModel, NO_BATCHING } from './loaded-model.js';
import { MANIFEST_FILE, MODEL_FILE, ModelManifest, TREES_FILE } from './manifest.js';
import { ModelStore } from './model-store.js';
import { compileEncoder, EncoderFactory, ModelRejectedError, verifyArtifact } from './verify-artifact.js';

/**
 * The largest file of each kind a version may hold, known before download. A store is written by jobs, people
 * and CI: what it holds is untrusted until verified. The demo model's files are 42 KB, 111 KB and 109 KB.
 */
export const ARTIFACT_MAX_BYTES: Record<string, number> = {
  [MANIFEST_FILE]: 4 * 2 ** 20,
  [MODEL_FILE]: 64 * 2 ** 20,
  [TREES_FILE]: 16 * 2 ** 20,
};

/** A version's files as read, before anything is parsed: what an off-thread check is handed. */
export interface ArtifactBytes {
  manifest: Buffer;
  onnx: Buffer;
  trees?: Buffer;
}

/** Verifies a candidate's bytes somewhere the serving thread does not wait on; throws ModelRejectedError. */
export type ArtifactPreflight = (version: string, files: ArtifactBytes) => Promise<void>;

export interface LoadOptions {
  compile?: EncoderFactory;
  cache?: ArtifactCache;
  batching?: BatchingOptions;
  /** Run first, before this thread parses or builds anything (the service: a worker thread with a deadline). */
  preflight?: ArtifactPreflight;
}

/** Reads one version from a store (through the local cache when one is given) and verifies it. */
export async function loadVersion(
  store: ModelStore,
  name: string,
  version: string,
  { compile = compileEncoder, cache, batching = NO_BATCHING, preflight }: LoadOptions = {},
): Promise<LoadedModel> {
  let manifestBytes: Buffer;
  let manifest: ModelManifest;
  let bytes: Buffer;
  let trees: Buffer | undefined;
  let cached: boolean;
  const read = (file: string) => store.readVersionFile(name, version, file, ARTIFACT_MAX_BYTES[file]);
  try {
    manifestBytes = await read(MANIFEST_FILE);
    manifest = JSON.parse(manifestBytes.toString('utf8')) as ModelManifest;
    const local = cache && manifest?.onnx?.sha256 ? await cache.get(name, version, manifest.onnx.sha256) : null;
    cached = local !== null;
    bytes = local ?? (await read(MODEL_FILE));
    // Only the one file name the service knows: a manifest cannot make it read another key.
    if (manifest?.explanation) trees = await read(TREES_FILE);
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
  if (preflight) await preflight(version, { manifest: manifestBytes, onnx: bytes, trees });
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
