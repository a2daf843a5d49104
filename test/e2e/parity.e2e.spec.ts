import * as ort from 'onnxruntime-node';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { LoanApplication } from '../../service/src/contract/loan-application.contract.js';
import { readArtifactDir } from '../../service/src/model/channels.js';
import { verifyArtifactFiles } from '../../service/src/model/verify-artifact.js';
import { ModelManifest } from '../../service/src/model/manifest.js';
import { FeatureEncoder } from '../../service/src/preprocessing/feature-encoder.js';
import { runTraining } from '../../scripts/lib/python.js';

/*
 * The serving path (TypeScript preprocessing + ONNX Runtime for Node) must reproduce scikit-learn's
 * probabilities: on the manifest's canaries and on 1,000 freshly generated applications the model never saw.
 */
let dir: string;
let manifest: ModelManifest;
let onnxBytes: Buffer;
let reference: { inputs: LoanApplication; probability_of_default: number }[];

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'parity-'));
  await runTraining(['generate', '--rows', '20000', '--seed', '101', '--out', path.join(dir, 'train.csv')]);
  await runTraining(['generate', '--rows', '1000', '--seed', '202', '--out', path.join(dir, 'fresh.csv')]);
  await runTraining([
    'train',
    '--data',
    path.join(dir, 'train.csv'),
    '--out',
    path.join(dir, 'model'),
    '--score',
    path.join(dir, 'fresh.csv'),
    '--score-out',
    path.join(dir, 'fresh-scores.json'),
    // A short hyperparameter search: the served model is whatever the search chose, and parity must hold for it.
    '--search-trials',
    '4',
  ]);
  manifest = JSON.parse(await readFile(path.join(dir, 'model/manifest.json'), 'utf8'));
  onnxBytes = await readFile(path.join(dir, 'model/model.onnx'));
  reference = JSON.parse(await readFile(path.join(dir, 'fresh-scores.json'), 'utf8'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function serve(rows: LoanApplication[]): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(onnxBytes);
  const encoder = new FeatureEncoder(manifest.feature_spec);
  const tensor = new ort.Tensor('float32', encoder.encode(rows), [rows.length, encoder.width]);
  const out = await session.run({ [encoder.inputName]: tensor });
  await session.release();
  return out[manifest.onnx.output_name].data as Float32Array;
}

const worstGap = (got: Float32Array, want: number[]) => Math.max(...want.map((p, i) => Math.abs(got[i] - p)));

it('reproduces the 50 canaries within 1e-5', async () => {
  expect(manifest.canaries).toHaveLength(50);
  const got = await serve(manifest.canaries.map((c) => c.inputs));
  expect(
    worstGap(
      got,
      manifest.canaries.map((c) => c.probability_of_default),
    ),
  ).toBeLessThanOrEqual(1e-5);
  const model = await verifyArtifactFiles(await readArtifactDir(path.join(dir, 'model')));
  expect(model.version).toBe(manifest.version);
  await model.release();
});

it('reproduces scikit-learn on 1,000 generated applications within 1e-5', async () => {
  expect(reference).toHaveLength(1000);
  const got = await serve(reference.map((r) => r.inputs));
  const gap = worstGap(
    got,
    reference.map((r) => r.probability_of_default),
  );
  expect(gap).toBeLessThanOrEqual(1e-5);
  // The scores spread over the range (a constant model would pass a gap check too).
  const spread = Math.max(...got) - Math.min(...got);
  expect(spread).toBeGreaterThan(0.5);
});
