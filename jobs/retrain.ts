import { createJsonLineLogger } from '../service/src/logging/logger.js';
import { createModelStore } from '../service/src/model/stores/create-model-store.js';
import { pythonTrainer } from './retraining/python-trainer.js';
import { retrain } from './retraining/retrain.js';
import { createBlobStore } from '../service/src/storage/create-blob-store.js';
import { parseCli, required, runCli, UsageError } from '../scripts/lib/cli.js';
import { fraction, GATE_OPTIONS, readInput } from './job-inputs.js';
import { DEFAULT_TRAINING_FRAME } from './tables/training-frame.js';

const USAGE =
  'usage: npm run retrain -- --store STORE --data-root DIR|s3://... --outcomes FILE [--min-auc 0.7] [--max-drop 0.01] [--min-air 0.8] [--max-ece 0.02] [--stage production|shadow] [--base FILE] [--train-months 24] [--max-train-rows 500000] [--recalibrate-recent 0] [--recalibrate-holdout] [--search-seconds 60] [--name loan-default]';
/** Exit codes: promoted or shadowed, rejected (ran fine, candidate not good enough), failed. */
const RETRAIN_EXIT = { promoted: 0, shadowed: 0, failed: 1, rejected: 3 } as const;

/** A --option that must be a whole number of at least 1. */
function positiveInteger(values: Record<string, unknown>, name: string): number {
  const value = Number(values[name]);
  if (!Number.isInteger(value) || value < 1)
    throw new UsageError(`--${name} must be a whole number of at least 1, got '${values[name]}'`);
  return value;
}

function stageOf(value: unknown): 'production' | 'shadow' {
  if (value === 'production' || value === 'shadow') return value;
  throw new UsageError(`--stage must be production or shadow, got '${value}'`);
}

runCli(
  USAGE,
  async () => {
    const { values } = parseCli(USAGE, {
      ...GATE_OPTIONS,
      stage: { type: 'string', default: 'production' },
      base: { type: 'string' },
      channel: { type: 'string', default: 'production' },
      seed: { type: 'string', default: '42' },
      'train-months': { type: 'string', default: String(DEFAULT_TRAINING_FRAME.months) },
      'max-train-rows': { type: 'string', default: String(DEFAULT_TRAINING_FRAME.maxRows) },
      'recalibrate-recent': { type: 'string', default: '0' },
      'recalibrate-holdout': { type: 'boolean' },
      'search-seconds': { type: 'string', default: '60' },
    });
    const searchSeconds = Number(values['search-seconds']);
    if (!(searchSeconds >= 0))
      throw new UsageError(`--search-seconds must be 0 or more, got '${values['search-seconds']}'`);
    const trainingFrame = {
      months: positiveInteger(values, 'train-months'),
      maxRows: positiveInteger(values, 'max-train-rows'),
    };
    const outcomesPath = required(values, 'outcomes');
    const [minAuc, maxDrop] = [fraction(values, 'min-auc'), fraction(values, 'max-drop')];
    const [storeLocation, dataRootLocation] = [required(values, 'store'), required(values, 'data-root')];
    const report = await retrain({
      store: await createModelStore(storeLocation),
      dataRoot: await createBlobStore(dataRootLocation),
      outcomes: await readInput(outcomesPath),
      outcomesName: outcomesPath,
      base: values.base ? await readInput(values.base as string) : undefined,
      trainingFrame,
      name: values.name as string,
      channel: values.channel as string,
      minAuc,
      maxDrop,
      minAir: fraction(values, 'min-air'),
      maxEce: fraction(values, 'max-ece'),
      stage: stageOf(values.stage),
      logger: createJsonLineLogger(process.env.LOG_LEVEL ?? 'info'),
      train: pythonTrainer(Number(values.seed), {
        recalibrateRecent: fraction(values, 'recalibrate-recent'),
        recalibrateHoldout: Boolean(values['recalibrate-holdout']),
        searchSeconds,
      }),
    });
    process.stdout.write(JSON.stringify(report) + '\n');
    return RETRAIN_EXIT[report.status];
  },
  { errors: 'json' },
);
