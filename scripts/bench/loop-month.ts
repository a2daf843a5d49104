import { readFile } from 'node:fs/promises';
import { compact } from '../../jobs/tables/compaction.js';
import { withEngine } from '../../jobs/tables/engine.js';
import { pythonTrainer } from '../../jobs/retraining/python-trainer.js';
import { retrain } from '../../jobs/retraining/retrain.js';
import { createJsonLineLogger } from '../../service/src/logging/logger.js';
import { FsModelStore } from '../../service/src/model/stores/fs-model-store.js';
import { FsBlobStore } from '../../service/src/storage/fs-blob-store.js';

/**
 * One month of the loop, in a process of its own so that its peak memory is its own: the monthly retraining run
 * as `npm run retrain` does it (compaction, the outcome join, the snapshot, the training frame, Python's training,
 * the gate), or, in a month before any outcome has arrived, the compaction alone. Prints one JSON line.
 */
const [dataRoot, store, outcomesFile, asOf] = process.argv.slice(2);
const started = performance.now();
const root = new FsBlobStore(dataRoot);
const outcomes = await readFile(outcomesFile);
const result: Record<string, unknown> = {};
if (outcomes.indexOf(10) >= outcomes.length - 1) {
  const compaction = await withEngine('loop-month', (engine) => compact(root, engine, { asOf: new Date(asOf) }));
  Object.assign(result, { status: 'compacted only', compaction, join: null, training_frame: null });
} else {
  const report = await retrain({
    store: new FsModelStore(store),
    dataRoot: root,
    outcomes,
    outcomesName: outcomesFile,
    name: 'loan-default',
    channel: 'production',
    minAuc: 0.6,
    maxDrop: 0.05,
    logger: createJsonLineLogger('info'),
    train: pythonTrainer(42),
    now: () => new Date(asOf),
  });
  if (report.status === 'failed') throw new Error(`retraining failed: ${report.reasons.join('; ')}`);
  Object.assign(result, {
    status: report.status,
    reasons: report.reasons,
    compaction: report.join!.compaction,
    join: report.join,
    snapshot_rows: report.snapshot?.rows,
    training_frame: report.training_frame,
  });
}
process.stdout.write(
  `${JSON.stringify({ ...result, seconds: (performance.now() - started) / 1000, node_peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024) })}\n`,
);
