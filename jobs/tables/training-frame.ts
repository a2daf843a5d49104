import { Engine, readParquet, sqlString } from './engine.js';
import { LocalFiles } from './local-files.js';
import { SNAPSHOT_COLUMN_NAMES, SNAPSHOT_TABLE_COLUMNS, SnapshotPart } from './snapshots.js';

/** Which rows of a snapshot a candidate trains on: a window of recent months, and a cap thinned evenly. */
export interface TrainingFrameOptions {
  /** The most recent months (by observed_at) kept; rows of unknown date form the oldest month. */
  months: number;
  /** At most this many rows: past it, every month keeps the same share, so recent months are not thinned more. */
  maxRows: number;
}

/**
 * 500,000 rows: Python's training of that many peaks at 478 MB (1,000,000: 792 MB, measured), which with the
 * job's Node process (about 130 MB while Python trains) stays well under the task's 1 GB goal; 24 months: two
 * years of seasons, and the age of the oldest outcome a lender would still trust.
 */
export const DEFAULT_TRAINING_FRAME: TrainingFrameOptions = { months: 24, maxRows: 500_000 };

export interface TrainingFrame extends TrainingFrameOptions {
  snapshot_rows: number;
  /** Rows in the window, and the share of them kept. */
  window_rows: number;
  kept_share: number;
  rows: number;
  first_month: string | null;
  last_month: string | null;
  /** Parts read (those holding a month of the window), of the snapshot's. */
  parts_read: number;
}

/** The window and the share kept, planned from the parts' month counts alone, before any row is read. */
export function planFrame(parts: SnapshotPart[], { months, maxRows }: TrainingFrameOptions) {
  const byMonth = new Map<string, number>();
  for (const part of parts)
    for (const [month, n] of Object.entries(part.months)) byMonth.set(month, (byMonth.get(month) ?? 0) + n);
  const window = [...byMonth.keys()].sort().slice(-Math.max(1, Math.floor(months)));
  const windowRows = window.reduce((n, m) => n + byMonth.get(m)!, 0);
  return {
    window,
    windowRows,
    snapshotRows: [...byMonth.values()].reduce((a, b) => a + b, 0),
    share: windowRows > maxRows ? maxRows / windowRows : 1,
    parts: parts.filter((p) => Object.keys(p.months).some((m) => window.includes(m))),
  };
}

/**
 * Writes the training frame of a snapshot (its parts) as CSV with the snapshot's columns to `frameFile`, through
 * the engine, so that neither this process nor Python holds more than the frame. Only the parts holding a month
 * of the window are read, in batches within the local disk budget. Thinning is by a hash of the row's content:
 * the same snapshot gives the same frame, and a row kept once stays kept while its month is in the window.
 */
export async function writeTrainingFrame(
  engine: Engine,
  files: LocalFiles,
  parts: SnapshotPart[],
  frameFile: string,
  options: TrainingFrameOptions,
): Promise<TrainingFrame> {
  const plan = planFrame(parts, options);
  const c = engine.connection;
  const keep =
    plan.share >= 1
      ? 'true'
      : `hash(application_id, observed_at, annual_income, loan_amount, credit_score) % 1000000 < ${Math.floor(plan.share * 1_000_000)}`;
  const inWindow = `strftime(observed_at, '%Y-%m') IN (${plan.window.map(sqlString).join(', ') || "''"})`;
  await c.run(`CREATE OR REPLACE TEMP TABLE frame_rows (${SNAPSHOT_TABLE_COLUMNS})`);
  await files.inBatches(
    plan.parts.map((p) => p.file),
    (paths) =>
      c.run(`INSERT INTO frame_rows SELECT ${SNAPSHOT_COLUMN_NAMES.map((n) => `"${n}"`).join(', ')}
        FROM ${readParquet(paths)} WHERE ${inWindow} AND ${keep}`),
  );
  const columns = SNAPSHOT_COLUMN_NAMES.map((n) =>
    n === 'observed_at' ? `strftime(observed_at, '%Y-%m-%dT%H:%M:%S.%gZ') AS observed_at` : `"${n}"`,
  );
  await c.run(`COPY (SELECT ${columns.join(', ')} FROM frame_rows ORDER BY frame_rows.observed_at, application_id)
      TO ${sqlString(frameFile)} (FORMAT csv, HEADER true)`);
  const [kept] = (await c.runAndReadAll(`SELECT count(*)::BIGINT AS n FROM frame_rows`)).getRowObjects();
  await c.run('DROP TABLE frame_rows');
  return {
    ...options,
    snapshot_rows: plan.snapshotRows,
    window_rows: plan.windowRows,
    kept_share: plan.share,
    rows: Number(kept.n),
    first_month: plan.window[0] ?? null,
    last_month: plan.window[plan.window.length - 1] ?? null,
    parts_read: plan.parts.length,
  };
}
