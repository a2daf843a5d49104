import { parseCli, required, runCli, UsageError } from '../scripts/lib/cli.js';
import { createBlobStore } from '../service/src/storage/create-blob-store.js';
import { compact } from './tables/compaction.js';
import { withEngine } from './tables/engine.js';

const USAGE =
  'usage: npm run compact -- --data-root DIR|s3://... [--as-of YYYY-MM-DD] [--include-open-day] (the prediction log into applications/ Parquet)';

runCli(USAGE, async () => {
  const { values } = parseCli(USAGE, {
    'data-root': { type: 'string', default: process.env.DATA_ROOT },
    'as-of': { type: 'string' },
    'include-open-day': { type: 'boolean' },
  });
  const asOf = values['as-of'] ? new Date(`${values['as-of']}T00:00:00Z`) : new Date();
  if (Number.isNaN(asOf.getTime()))
    throw new UsageError(`--as-of must be a date (YYYY-MM-DD), got '${values['as-of']}'`);
  const root = await createBlobStore(required(values, 'data-root'));
  const report = await withEngine('compact', (engine) =>
    compact(root, engine, { asOf, includeOpenDay: Boolean(values['include-open-day']) }),
  );
  process.stdout.write(`${JSON.stringify(report)}\n`);
  return 0;
});
