import { readFile } from 'node:fs/promises';
import { compact } from '../../jobs/tables/compaction.js';
import { withEngine } from '../../jobs/tables/engine.js';
import { joinOutcomes } from '../../jobs/tables/outcome-join.js';
import { FsBlobStore } from '../../service/src/storage/fs-blob-store.js';

/**
 * One month of the loop's data work, in a process of its own so that its peak RSS is its own: compact what the
 * month added to the prediction log, then join the month's outcomes through the tables. Prints one JSON line.
 */
const [dataRoot, outcomesFile, asOf] = process.argv.slice(2);
const started = performance.now();
const root = new FsBlobStore(dataRoot);
// The first months have no outcomes yet (they come 3 to 12 months after the application).
const none = { rows: 0, matched: 0, unmatched: 0, duplicate: 0, already_known: 0, invalid: 0 };
const { compaction, join } = await withEngine('loop-month', async (engine) => {
  const compaction = await compact(root, engine, { asOf: new Date(asOf) });
  const outcomes = await readFile(outcomesFile);
  const hasRows = outcomes.indexOf(10) < outcomes.length - 1;
  return { compaction, join: hasRows ? await joinOutcomes(root, engine, outcomes, []) : { counts: none } };
});
process.stdout.write(
  `${JSON.stringify({
    compacted_files: compaction.files,
    compacted_rows: compaction.rows_written,
    lines_read: compaction.lines_read,
    outcomes: join.counts,
    seconds: (performance.now() - started) / 1000,
    peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
  })}\n`,
);
