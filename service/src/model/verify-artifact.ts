import * as ort from 'onnxruntime-node';
import { FeatureEncoder } from '../preprocessing/feature-encoder.js';
import { FeatureSpec } from '../preprocessing/feature-spec.js';
import { BatchingOptions, LoadedModel, NO_BATCHING, sessionOptions } from './loaded-model.js';
import { MANIFEST_FILE, MODEL_FILE, ModelManifest, TREES_FILE } from './manifest.js';
import { Explainer } from '../explain/explainer.js';
import { TreeEnsemble, TreesDocument } from '../explain/tree-ensemble.js';
import { externalDataTensor } from './onnx-external-data.js';
import { sha256 } from './sha256.js';

/** The strictest canary tolerance docs/model-store.md allows; a manifest may ask for tighter, never looser. */
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

/**
 * Proves an artifact before it can serve: the ONNX bytes match the manifest's sha256, the feature spec fits
 * the data contract, the session's input and output names match, and ONNX Runtime reproduces every canary
 * probability within the tolerance. The session is created from the very bytes that were hashed.
 */
export type EncoderFactory = (spec: FeatureSpec) => FeatureEncoder;
export const compileEncoder: EncoderFactory = (spec) => new FeatureEncoder(spec);

export async function verifyArtifact(
  manifest: ModelManifest,
  onnxBytes: Uint8Array,
  compile: EncoderFactory = compileEncoder,
  batching: BatchingOptions = NO_BATCHING,
  treesBytes?: Uint8Array,
): Promise<LoadedModel> {
  const version = manifest?.version ?? 'unknown';
  const reject = (reason: string): never => {
    throw new ModelRejectedError(version, reason);
  };
  if (!manifest || typeof manifest !== 'object' || !manifest.onnx || !manifest.threshold)
    reject('manifest is incomplete');
  const digest = sha256(onnxBytes);
  if (digest !== manifest.onnx.sha256)
    reject(`sha256 of model.onnx is ${digest}, the manifest says ${manifest.onnx.sha256}`);
  // Compiling the encoder is the feature-spec check (it refuses a spec outside the data contract).
  let encoder: FeatureEncoder;
  try {
    encoder = compile(manifest.feature_spec);
  } catch (error) {
    return reject((error as Error).message);
  }
  const threshold = manifest.threshold.value;
  if (typeof threshold !== 'number' || !(threshold > 0 && threshold < 1))
    reject(`threshold ${threshold} is not in (0, 1)`);
  if (!Array.isArray(manifest.canaries) || manifest.canaries.length === 0) reject('manifest has no canaries');

  // Before any session: onnxruntime-node would read external data from the working directory.
  let external: string | null;
  try {
    external = externalDataTensor(onnxBytes);
  } catch (error) {
    return reject((error as Error).message);
  }
  if (external !== null)
    reject(`model.onnx keeps tensor '${external}' as external data; a version must hold all of its weights`);
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(onnxBytes, sessionOptions(batching.intraOpThreads));
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
    if (manifest.explanation) {
      // The trees explained must be the trees scored: they reproduce ONNX Runtime's own canary answers.
      model.explainer = explainerFor(manifest, treesBytes, reject);
      const gap = model.explainer.worstGap(encoder.encode(manifest.canaries.map((c) => c.inputs)), Array.from(scores));
      if (!(gap <= tolerance))
        reject(
          `${TREES_FILE} does not reproduce ONNX Runtime's canary probabilities: worst difference ${gap} exceeds ${tolerance}`,
        );
    }
    return model;
  } catch (error) {
    await session.release().catch(() => undefined);
    throw error;
  }
}

/** The explainer a manifest promises, from bytes that match its sha256; any fault rejects the version. */
function explainerFor(
  manifest: ModelManifest,
  treesBytes: Uint8Array | undefined,
  reject: (reason: string) => never,
): Explainer {
  const explanation = manifest.explanation!;
  if (explanation.file !== TREES_FILE) reject(`explanation.file must be ${TREES_FILE}, got ${explanation.file}`);
  if (!treesBytes) reject(`${TREES_FILE} is missing`);
  const digest = sha256(treesBytes!);
  if (digest !== explanation.sha256)
    reject(`sha256 of ${TREES_FILE} is ${digest}, the manifest says ${explanation.sha256}`);
  try {
    const doc = JSON.parse(Buffer.from(treesBytes!).toString('utf8')) as TreesDocument;
    return new Explainer(
      new TreeEnsemble(doc),
      explanation.reasons,
      explanation.max_reasons ?? 4,
      manifest.feature_spec,
    );
  } catch (error) {
    return reject(`${TREES_FILE}: ${(error as Error).message}`);
  }
}

/**
 * verifyArtifact over a version's files as training leaves them (model.onnx, manifest.json, trees.json when present).
 */
export function verifyArtifactFiles(
  files: Record<string, Buffer>,
  compile: EncoderFactory = compileEncoder,
  batching: BatchingOptions = NO_BATCHING,
) {
  const manifest = JSON.parse(files[MANIFEST_FILE].toString('utf8')) as ModelManifest;
  return verifyArtifact(manifest, files[MODEL_FILE], compile, batching, files[TREES_FILE]);
}
