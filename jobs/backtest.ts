import { parseCli, required, runCli, UsageError } from '../scripts/lib/cli.js';
import { createModelStore } from '../service/src/model/stores/create-model-store.js';
import { createBlobStore } from '../service/src/storage/create-blob-store.js';
import { runBacktest } from './backtesting/run-backtest.js';
import { DEFAULT_MIN_GRADE_COUNT } from './backtesting/traffic-lights.js';
import { readInput } from './job-inputs.js';

const USAGE =
  'usage: npm run backtest -- --store STORE --data-root DIR|s3://... --outcomes FILE [--version V] [--as-of DATE] [--min-grade-count 30] [--name loan-default]';
/** Exit codes: every judged grade green or yellow; some grade red; failed. */
const BACKTEST_EXIT = { passed: 0, red: 3 } as const;

runCli(USAGE, async () => {
  const { values } = parseCli(USAGE, {
    store: { type: 'string', default: process.env.MODEL_STORE },
    'data-root': { type: 'string', default: process.env.DATA_ROOT },
    outcomes: { type: 'string' },
    version: { type: 'string' },
    'as-of': { type: 'string' },
    'min-grade-count': { type: 'string', default: String(DEFAULT_MIN_GRADE_COUNT) },
    name: { type: 'string', default: 'loan-default' },
  });
  const asOf = values['as-of'] === undefined ? undefined : new Date(String(values['as-of']));
  if (asOf && Number.isNaN(asOf.getTime())) throw new UsageError(`--as-of must be a date, got '${values['as-of']}'`);
  const minGradeCount = Number(values['min-grade-count']);
  if (!Number.isInteger(minGradeCount) || minGradeCount < 1)
    throw new UsageError(`--min-grade-count must be a whole number of at least 1, got '${values['min-grade-count']}'`);
  const report = await runBacktest({
    store: await createModelStore(required(values, 'store')),
    dataRoot: await createBlobStore(required(values, 'data-root')),
    outcomes: await readInput(required(values, 'outcomes')),
    name: String(values.name),
    version: values.version as string | undefined,
    asOf,
    minGradeCount,
  });
  const red = report.versions.some((v) => v.backtest.worst_light === 'red');
  process.stdout.write(
    JSON.stringify({
      run_id: report.run_id,
      versions: report.versions.map((v) => ({
        version: v.version,
        applications: v.backtest.count,
        worst_light: v.backtest.worst_light,
        red_grades: v.backtest.red_grades,
        expected_calibration_error: v.backtest.portfolio.expected_calibration_error,
        share_with_outcome: v.coverage.share_with_outcome,
      })),
    }) + '\n',
  );
  return BACKTEST_EXIT[red ? 'red' : 'passed'];
});
