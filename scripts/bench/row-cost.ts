import { demoModel, rawInference } from './harness.js';

/*
 * ONNX Runtime's cost per row by rows per session run, on the demo model with the service's session options:
 * where a micro-batch stops getting cheaper per row (MICROBATCH_MAX_ROWS sits below that). Run by hand:
 * npx tsx scripts/bench/row-cost.ts
 */
const { manifest, model } = await demoModel();
for (const rows of [1, 8, 16, 24, 32, 40, 48, 56, 64, 96, 128, 256, 1000]) {
  const applications = Array.from({ length: rows }, (_, i) => manifest.canaries[i % manifest.canaries.length].inputs);
  const samples: number[] = [];
  for (let round = 0; round < 5; round++)
    samples.push(1e6 / (await rawInference(model, manifest, applications, 0.4)).rows_per_s);
  samples.sort((a, b) => a - b);
  console.log(`${String(rows).padStart(5)} rows/run: ${samples[2].toFixed(3)} us per row (median of 5)`);
}
