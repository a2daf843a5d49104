import { Engine, sqlString } from './engine.js';

/** Which rows of a snapshot a candidate trains on: a window of recent months, and a cap thinned evenly. */
export interface TrainingFrameOptions {
  /** The most recent months (by observed_at) kept; rows of unknown date form the oldest month. */
  months: number;
  /** At most this many rows: past it, every month keeps the same share, so recent months are not thinned more. */
  maxRows: number;
}

export const DEFAULT_TRAINING_FRAME: TrainingFrameOptions = { months: 24, maxRows: 1_000_000 };

export interface TrainingFrame extends TrainingFrameOptions {
  snapshot_rows: number;
  /** Rows in the window, and the share of them kept. */
  window_rows: number;
  kept_share: number;
  rows: number;
  first_month: string | null;
  last_month: string | null;
}

/**
 * Writes the training frame of a snapshot CSV (the snapshot's columns, text as written) to `frameFile`, through
 * the engine, so that neither this process nor Python holds more than the frame. Thinning is by a hash of the row's
 * position: the same snapshot gives the same frame.
 */
export async function writeTrainingFrame(
  engine: Engine,
  snapshotFile: string,
  frameFile: string,
  { months, maxRows }: TrainingFrameOptions,
): Promise<TrainingFrame> {
  const c = engine.connection;
  await c.run(`CREATE OR REPLACE TEMP TABLE snapshot_rows AS
      SELECT *, substr(observed_at, 1, 7) AS frame_month, row_number() OVER () AS frame_row
      FROM read_csv(${sqlString(snapshotFile)}, header = true, all_varchar = true)`);
  await c.run(`CREATE OR REPLACE TEMP TABLE frame_window AS
      SELECT * FROM snapshot_rows WHERE frame_month IN (
        SELECT DISTINCT frame_month FROM snapshot_rows ORDER BY frame_month DESC LIMIT ${Math.max(1, Math.floor(months))})`);
  const [counts] = (
    await c.runAndReadAll(`SELECT (SELECT count(*) FROM snapshot_rows)::BIGINT AS snapshot_rows,
        count(*)::BIGINT AS window_rows, min(frame_month) AS first_month, max(frame_month) AS last_month
      FROM frame_window`)
  ).getRowObjects();
  const windowRows = Number(counts.window_rows);
  const share = windowRows > maxRows ? maxRows / windowRows : 1;
  const keep = share >= 1 ? 'true' : `hash(frame_row) % 1000000 < ${Math.floor(share * 1_000_000)}`;
  await c.run(`COPY (SELECT * EXCLUDE (frame_month, frame_row) FROM frame_window WHERE ${keep} ORDER BY frame_row)
      TO ${sqlString(frameFile)} (FORMAT csv, HEADER true)`);
  const [kept] = (
    await c.runAndReadAll(`SELECT count(*)::BIGINT AS n FROM read_csv(${sqlString(frameFile)}, header = true)`)
  ).getRowObjects();
  await c.run('DROP TABLE snapshot_rows; DROP TABLE frame_window');
  return {
    months,
    maxRows,
    snapshot_rows: Number(counts.snapshot_rows),
    window_rows: windowRows,
    kept_share: share,
    rows: Number(kept.n),
    first_month: (counts.first_month as string | null) ?? null,
    last_month: (counts.last_month as string | null) ?? null,
  };
}
