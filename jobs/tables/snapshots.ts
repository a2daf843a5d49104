import { createHash } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import { INPUT_FIELDS, NUMBER_RULES } from '../../service/src/contract/loan-application.contract.js';
import type { BlobStore } from '../../service/src/storage/blob-store.js';
import { Engine, readParquet, sqlString } from './engine.js';
import { fileSha256, LocalFiles } from './local-files.js';

/**
 * Snapshots: the labelled applications a candidate trains on, as immutable Parquet parts.
 *   snapshots/<id>/part-<name>.parquet   rows added by that snapshot (its month's matches, or a converted start)
 *   snapshots/<id>/manifest.json          its parts (the parent's and its own) with sha256, rows and months
 *   snapshots/<id>/symlink/manifest       the parts' URIs, one a line: the catalog's table reads a snapshot by it
 * A snapshot is its manifest: written last, it makes the snapshot exist. Nothing is ever rewritten: a new
 * snapshot lists its parent's parts and adds one. Snapshots written before parts existed (one data.csv) stay
 * readable as parents: the first snapshot after one converts its rows into a Parquet part once.
 */
export const SNAPSHOTS = 'snapshots/';

/** A snapshot's column types, in order (the id, the 11 inputs, the label, when the outcome was observed). */
export const SNAPSHOT_TYPES: Record<string, string> = {
  application_id: 'VARCHAR',
  ...Object.fromEntries(
    INPUT_FIELDS.map((field) => [
      field,
      field in NUMBER_RULES ? (field === 'credit_score' ? 'INTEGER' : 'DOUBLE') : 'VARCHAR',
    ]),
  ),
  loan_paid_back: 'INTEGER',
  observed_at: 'TIMESTAMP',
};
export const SNAPSHOT_COLUMN_NAMES = Object.keys(SNAPSHOT_TYPES);
/** The columns as a table definition, for an engine table of snapshot rows. */
export const SNAPSHOT_TABLE_COLUMNS = SNAPSHOT_COLUMN_NAMES.map((c) => `"${c}" ${SNAPSHOT_TYPES[c]}`).join(', ');

export interface SnapshotPart {
  file: string;
  sha256: string;
  rows: number;
  /** Rows by month of observed_at (YYYY-MM): what the training frame's window and cap are planned from. */
  months: Record<string, number>;
}

export interface SnapshotManifest {
  id: string;
  created_at: string;
  parent: string | null;
  rows: number;
  new_rows: number;
  parts: SnapshotPart[];
  sources: Record<string, unknown>;
}

/** What a snapshot written before parts existed holds: one CSV file. */
interface CsvSnapshotManifest {
  id: string;
  parent: string | null;
  data: { file: string; sha256: string; rows: number; new_rows: number };
}

/** The latest snapshot: parts (today's layout), or one CSV file (the layout before it). */
export type LatestSnapshot =
  { kind: 'parts'; manifest: SnapshotManifest } | { kind: 'csv'; manifest: CsvSnapshotManifest };

export async function latestSnapshot(root: BlobStore): Promise<LatestSnapshot | null> {
  const manifests = (await root.list(SNAPSHOTS)).filter((k) => /^snapshots\/[^/]+\/manifest\.json$/.test(k)).sort();
  if (manifests.length === 0) return null;
  const doc = JSON.parse((await root.get(manifests[manifests.length - 1])).toString('utf8'));
  return Array.isArray(doc.parts)
    ? { kind: 'parts', manifest: doc as SnapshotManifest }
    : { kind: 'csv', manifest: doc as CsvSnapshotManifest };
}

/** A TIMESTAMPTZ-parsed text as UTC (the engine has no time zone database; offsets are applied, not dropped). */
const utcTimestamp = (text: string) => `make_timestamp(epoch_us(TRY_CAST(${text} AS TIMESTAMPTZ)))`;

/**
 * A SELECT over a CSV of snapshot rows (a snapshot's data.csv or an initial --base file), typed as a part: columns
 * it lacks are empty, a missing observed_at is 1970-01-01 (the oldest data), and rows whose values do not fit
 * their types (or whose label is not 0 or 1) are left out, counted by the caller as the difference.
 */
export async function csvAsPartRows(engine: Engine, csvPath: string): Promise<string> {
  const source = `read_csv(${sqlString(csvPath)}, header = true, all_varchar = true)`;
  const present = new Set((await engine.connection.runAndReadAll(`SELECT * FROM ${source} LIMIT 0`)).columnNames());
  const text = (c: string) => (present.has(c) ? `"${c}"` : `NULL`);
  const columns = SNAPSHOT_COLUMN_NAMES.map((c) => {
    if (c === 'observed_at')
      return `coalesce(${utcTimestamp(`nullif(${text(c)}, '')`)}, TIMESTAMP '1970-01-01 00:00:00') AS observed_at`;
    if (c === 'application_id') return `coalesce(${text(c)}, '') AS application_id`;
    return SNAPSHOT_TYPES[c] === 'VARCHAR'
      ? `${text(c)} AS "${c}"`
      : `TRY_CAST(${text(c)} AS ${SNAPSHOT_TYPES[c]}) AS "${c}"`;
  });
  const typed = SNAPSHOT_COLUMN_NAMES.filter((c) => SNAPSHOT_TYPES[c] !== 'VARCHAR' && c !== 'observed_at');
  return `SELECT * FROM (SELECT ${columns.join(', ')} FROM ${source})
    WHERE ${typed.map((c) => `"${c}" IS NOT NULL`).join(' AND ')} AND loan_paid_back IN (0, 1)
      AND (observed_at IS NOT NULL)`;
}

/** The outcome join's matches as part rows (observed_at comes normalised to UTC ISO text). */
export const MATCHED_AS_PART_ROWS = (matchedTable: string) =>
  `SELECT ${SNAPSHOT_COLUMN_NAMES.map((c) =>
    c === 'observed_at'
      ? `${utcTimestamp('observed_at')} AS observed_at`
      : `CAST("${c}" AS ${SNAPSHOT_TYPES[c]}) AS "${c}"`,
  ).join(', ')} FROM ${matchedTable}`;

/**
 * Has the engine write `select` as a Parquet part at `key` (ordered by observed_at, so a reader of a window of
 * months skips most row groups), uploads it and returns its entry. The local file goes once uploaded.
 */
export async function writePart(root: BlobStore, engine: Engine, select: string, key: string): Promise<SnapshotPart> {
  const local = `${engine.workDir}/part-${createHash('sha256').update(key).digest('hex').slice(0, 12)}.parquet`;
  await engine.connection.run(
    `COPY (${select} ORDER BY observed_at, application_id) TO ${sqlString(local)} (FORMAT parquet, COMPRESSION zstd)`,
  );
  const months: Record<string, number> = {};
  let rows = 0;
  for (const r of (
    await engine.connection.runAndReadAll(
      `SELECT strftime(observed_at, '%Y-%m') AS month, count(*)::BIGINT AS n FROM ${readParquet([local])} GROUP BY 1 ORDER BY 1`,
    )
  ).getRowObjects()) {
    months[r.month as string] = Number(r.n);
    rows += Number(r.n);
  }
  const sha256 = await fileSha256(local);
  await new LocalFiles(root, engine.workDir).upload(local, key, 'application/vnd.apache.parquet');
  return { file: key, sha256, rows, months };
}

/**
 * Writes a snapshot's manifest (its presence makes the snapshot exist) after its symlink manifest (for the
 * catalog's table). Both are put if absent: an id is never written twice.
 */
export async function writeSnapshotManifest(
  root: BlobStore,
  manifest: Omit<SnapshotManifest, 'rows'>,
): Promise<SnapshotManifest> {
  const full: SnapshotManifest = { ...manifest, rows: manifest.parts.reduce((n, p) => n + p.rows, 0) };
  const uris = manifest.parts.map((p) => `${root.location.replace(/\/$/, '')}/${p.file}`).join('\n') + '\n';
  await root.put(symlinkKey(manifest.id), Buffer.from(uris), {
    ifAbsent: true,
    contentType: 'text/plain',
  });
  await root.put(`${SNAPSHOTS}${manifest.id}/manifest.json`, Buffer.from(JSON.stringify(full, null, 2) + '\n'), {
    ifAbsent: true,
    contentType: 'application/json',
  });
  return full;
}

/** Where a snapshot's symlink manifest goes: the catalog's `snapshots` table reads the snapshot through it. */
export const symlinkKey = (snapshotId: string) => `${SNAPSHOTS}${snapshotId}/symlink/manifest`;

/** Where a snapshot's part of a given name goes. */
export const partKey = (snapshotId: string, name: string) => `${SNAPSHOTS}${snapshotId}/part-${name}.parquet`;

/** A parent of one CSV file, or a --base file, made into a part: how many rows it had, and how many were kept. */
export interface ConvertedStart {
  from: string;
  rows: number;
  kept: number;
  left_out_invalid: number;
}

/**
 * The parts a new snapshot starts from: the latest snapshot's, or, when that was written as one CSV file (or
 * there is none and a --base file is given), a Parquet part of the new snapshot holding its rows, made once.
 */
export async function startingParts(
  root: BlobStore,
  engine: Engine,
  files: LocalFiles,
  { snapshotId, base }: { snapshotId: string; base?: Buffer },
): Promise<{ parent: LatestSnapshot | null; parts: SnapshotPart[]; converted: ConvertedStart | null }> {
  const parent = await latestSnapshot(root);
  if (parent?.kind === 'parts') return { parent, parts: parent.manifest.parts, converted: null };
  if (!parent && !base) return { parent, parts: [], converted: null };
  let csvPath: string;
  if (parent) {
    csvPath = await files.pathOf(parent.manifest.data.file);
  } else {
    csvPath = `${engine.workDir}/base.csv`;
    await writeFile(csvPath, base!);
  }
  const part = await writePart(root, engine, await csvAsPartRows(engine, csvPath), partKey(snapshotId, 'start'));
  const [counted] = (
    await engine.connection.runAndReadAll(
      `SELECT count(*)::BIGINT AS n FROM read_csv(${sqlString(csvPath)}, header = true, all_varchar = true)`,
    )
  ).getRowObjects();
  if (parent) await files.release(parent.manifest.data.file);
  else await rm(csvPath, { force: true });
  const rows = Number(counted.n);
  return {
    parent,
    parts: [part],
    converted: {
      from: parent ? parent.manifest.data.file : 'the --base file',
      rows,
      kept: part.rows,
      left_out_invalid: rows - part.rows,
    },
  };
}
