import { createHash } from 'node:crypto';
import * as ort from 'onnxruntime-node';
import { LoanApplication } from '../contract/loan-application.contract.js';
import { FeatureEncoder } from '../preprocessing/feature-encoder.js';
import { FeatureSpec } from '../preprocessing/feature-spec.js';
import type { ArtifactCache } from './artifact-cache.js';
import { MANIFEST_FILE, MODEL_FILE, ModelManifest } from './manifest.js';
import { MicroBatcher } from './micro-batcher.js';
import { ModelStore } from './model-store.js';

/** The strictest canary tolerance DESIGN.md allows; a manifest may ask for tighter, never looser. */
export const MAX_CANARY_TOLERANCE = 1e-5;

export class ModelRejectedError extends Error {
  constructor(
    readonly version: string,
    readonly reason: string,
    /** Set when the artifact could not be read at all (the store, not the artifact, is at fault). */
    readonly readFailure?: unknown,
  ) {
    super(`model version ${version} rejected: ${reason}`);
  }
}

export const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

export interface BatchingOptions {
  maxRows: number;
  waitMs: number;
}
/** Every call is its own session run. */
export const NO_BATCHING: BatchingOptions = { maxRows: 1, waitMs: 0 };

/**
 * Session options for scoring: full graph optimisation, and one intra-op thread, since the trees are small.
 * onnxruntime-node 1.30 runs session.run on the main thread (inside a setImmediate, not on a worker), so a run
 * blocks the event loop for its duration: micro-batching keeps runs few, and the other core is left to libuv's
 * pool (gzip, file writes) and the kernel's network work.
 */
export const SESSION_OPTIONS: ort.InferenceSession.SessionOptions = {
  graphOptimizationLevel: 'all',
  intraOpNumThreads: Number(process.env.ORT_INTRA_OP_THREADS ?? 1),
  interOpNumThreads: 1,
};

/** One verified model version, ready to score: its manifest, its session and its compiled encoder. */
export class LoadedModel {
  readonly version: string;
  readonly threshold: number;
  private readonly outputName: string;

  private readonly batcher: MicroBatcher<LoanApplication>;

  constructor(
    readonly manifest: ModelManifest,
    readonly session: ort.InferenceSession,
    readonly encoder: FeatureEncoder,
    batching: BatchingOptions = NO_BATCHING,
  ) {
    this.version = manifest.version;
    this.threshold = manifest.threshold.value;
    this.outputName = manifest.onnx.output_name;
    this.batcher = new MicroBatcher((rows) => this.run(rows), batching.maxRows, batching.waitMs);
  }

  /** probability_of_default for each application, in order; concurrent small calls share session runs. */
  score(applications: readonly LoanApplication[]): Promise<Float32Array> {
    return this.batcher.score(applications);
  }

  /** One session run over one tensor. */
  private async run(applications: readonly LoanApplication[]): Promise<Float32Array> {
    const data = this.encoder.encode(applications);
    const input = new ort.Tensor('float32', data, [applications.length, this.encoder.width]);
    const output = await this.session.run({ [this.encoder.inputName]: input }, [this.outputName]);
    return output[this.outputName].data as Float32Array;
  }

  private leases = 0;
  private retired = false;
  private released: Promise<void> | null = null;

  /** Marks a request as using this model; the session is not released while any lease is open. */
  acquire(): this {
    this.leases++;
    return this;
  }

  releaseLease(): void {
    this.leases--;
    if (this.retired && this.leases === 0) void this.release();
  }

  /** No new requests will come: release the session as soon as the last in-flight one finishes. */
  retire(): void {
    this.retired = true;
    if (this.leases === 0) void this.release();
  }

  release(): Promise<void> {
    this.released ??= this.session.release().catch(() => undefined);
    return this.released;
  }
}

/**
 * Proves an artifact before it can serve: the ONNX bytes match the manifest's sha256, the feature spec fits
 * the data contract, the session's input and output names match, and ONNX Runtime reproduces every canary
 * probability within the tolerance. The session is created from the very bytes that were hashed.
 */
export type EncoderFactory = (spec: FeatureSpec) => FeatureEncoder;
const compileEncoder: EncoderFactory = (spec) => new FeatureEncoder(spec);

export async function verifyArtifact(
  manifest: ModelManifest,
  onnxBytes: Uint8Array,
  compile: EncoderFactory = compileEncoder,
  batching: BatchingOptions = NO_BATCHING,
): Promise<LoadedModel> {
  const version = manifest?.version ?? 'unknown';
  const reject = (reason: string): never => {
    throw new ModelRejectedError(version, reason);
  };
  if (!manifest || typeof manifest !== 'object' || !manifest.onnx || !manifest.threshold) reject('manifest is incomplete');
  const digest = sha256(onnxBytes);
  if (digest !== manifest.onnx.sha256) reject(`sha256 of model.onnx is ${digest}, the manifest says ${manifest.onnx.sha256}`);
  // Compiling the encoder is the feature-spec check (it refuses a spec outside the data contract).
  let encoder: FeatureEncoder;
  try {
    encoder = compile(manifest.feature_spec);
  } catch (error) {
    return reject((error as Error).message);
  }
  const threshold = manifest.threshold.value;
  if (typeof threshold !== 'number' || !(threshold > 0 && threshold < 1)) reject(`threshold ${threshold} is not in (0, 1)`);
  if (!Array.isArray(manifest.canaries) || manifest.canaries.length === 0) reject('manifest has no canaries');

  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(onnxBytes, SESSION_OPTIONS);
  } catch (error) {
    return reject(`ONNX Runtime cannot load model.onnx: ${(error as Error).message}`);
  }
  const model = new LoadedModel(manifest, session, encoder, batching);
  try {
    if (!session.inputNames.includes(manifest.feature_spec.tensor.input_name)) {
      reject(`session inputs ${JSON.stringify(session.inputNames)} lack '${manifest.feature_spec.tensor.input_name}'`);
    }
    if (!session.outputNames.includes(manifest.onnx.output_name)) {
      reject(`session outputs ${JSON.stringify(session.outputNames)} lack '${manifest.onnx.output_name}'`);
    }
    const tolerance = Math.min(manifest.canary_tolerance ?? MAX_CANARY_TOLERANCE, MAX_CANARY_TOLERANCE);
    const scores = await model.score(manifest.canaries.map((c) => c.inputs));
    let worst = 0;
    manifest.canaries.forEach((canary, i) => {
      const gap = Math.abs(scores[i] - canary.probability_of_default);
      if (!(gap <= worst)) worst = gap; // NaN counts as a failure
    });
    if (!(worst <= tolerance)) {
      reject(`canaries do not reproduce: worst difference ${worst} exceeds ${tolerance}`);
    }
    return model;
  } catch (error) {
    await session.release().catch(() => undefined);
    throw error;
  }
}

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
  let cached = false;
  try {
    manifest = JSON.parse((await store.readVersionFile(name, version, MANIFEST_FILE)).toString('utf8')) as ModelManifest;
    const local = cache && manifest?.onnx?.sha256 ? await cache.get(name, version, manifest.onnx.sha256) : null;
    cached = local !== null;
    bytes = local ?? (await store.readVersionFile(name, version, MODEL_FILE));
  } catch (error) {
    // Store errors name keys (name/versions/version/file), never a local path.
    throw new ModelRejectedError(version, `cannot read the artifact: ${(error as Error).message}`, error);
  }
  if (manifest?.version !== version || manifest?.name !== name) {
    throw new ModelRejectedError(version, `manifest names ${manifest?.name}@${manifest?.version}, expected ${name}@${version}`);
  }
  const model = await verifyArtifact(manifest, bytes, compile, batching);
  if (cache && !cached) await cache.put(name, version, bytes).catch(() => undefined);
  return model;
}
