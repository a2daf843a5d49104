import * as ort from 'onnxruntime-node';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MANIFEST_FILE, MODEL_FILE, ModelManifest } from '../../service/src/model/manifest.js';
import { SESSION_OPTIONS } from '../../service/src/model/loaded-model.js';
import { FsModelStore } from '../../service/src/model/stores/fs-model-store.js';
import { FeatureEncoder } from '../../service/src/preprocessing/feature-encoder.js';

/*
 * ONNX Runtime's cost per row by rows per session run, on the demo model with the service's session options:
 * where a micro-batch stops getting cheaper per row (MICROBATCH_MAX_ROWS sits below that). Run by hand:
 * npx tsx scripts/bench/row-cost.ts
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const store = new FsModelStore(path.join(ROOT, 'models'));
const version = (await store.readChannel('loan-default', 'production'))!.version;
const manifest = JSON.parse((await store.readVersionFile('loan-default', version, MANIFEST_FILE)).toString()) as ModelManifest;
const session = await ort.InferenceSession.create(await store.readVersionFile('loan-default', version, MODEL_FILE), SESSION_OPTIONS);
const encoder = new FeatureEncoder(manifest.feature_spec);
for (const rows of [1, 8, 16, 24, 32, 40, 48, 56, 64, 96, 128, 256, 1000]) {
  const apps = Array.from({ length: rows }, (_, i) => manifest.canaries[i % manifest.canaries.length].inputs);
  const feeds = { [encoder.inputName]: new ort.Tensor('float32', encoder.encode(apps), [rows, encoder.width]) };
  for (let i = 0; i < 200; i++) await session.run(feeds);
  const samples: number[] = [];
  for (let round = 0; round < 5; round++) {
    const runs = Math.max(50, Math.round(20_000 / rows));
    const started = performance.now();
    for (let i = 0; i < runs; i++) await session.run(feeds);
    samples.push(((performance.now() - started) * 1000) / (runs * rows));
  }
  samples.sort((a, b) => a - b);
  console.log(`${String(rows).padStart(5)} rows/run: ${samples[2].toFixed(3)} us per row (median of 5)`);
}
await session.release();
