import { parse } from 'csv-parse';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { BlobStore } from '../../service/src/storage/blob-store.js';
import { committedParts } from './compaction.js';
import { Engine, readParquet, sqlString } from './engine.js';
import { APPLICATION_COLUMNS } from './layout.js';
import { LocalFiles } from './local-files.js';

/** Why an outcome row was not used. Every row of the file ends up matched or in exactly one of these. */
export interface OutcomeCounts {
  rows: number;
  matched: number;
  /** No captured answer for the application (never scored here, or its day not compacted yet). */
  unmatched: number;
  /** The application appeared on an earlier row of the file. */
  duplicate: number;
  /** The application is in the parent snapshot already. */
  already_known: number;
  /** The row breaks the format (id, label 0 or 1, a date). */
  invalid: number;
}

/** A matched outcome with the application's latest captured answer (the applications table's columns). */
export type JoinedRow = Record<string, string | number | null> & {
  application_id: string;
  loan_paid_back: number;
  observed_at: string;
};

export interface OutcomeJoin {
  /**
   * The matched rows stay in the engine (table MATCHED): a caller reads them (matchedRows) or has the engine write
   * them (a snapshot's part), so a month of matches never has to be objects.
   */
  counts: OutcomeCounts;
  /** The first few invalid rows, by line. */
  examples: string[];
  /** The most bytes of table parts the job held on local disk at once (downloaded from S3; 0 for a directory). */
  local_bytes: number;
}

const REQUIRED = ['application_id', 'loan_paid_back', 'observed_at'];

/** The engine's table of this run's matches (the applications table's columns, the label, the line). */
export const MATCHED = 'outcome_matched';

function* slices(bytes: Buffer, size: number): Generator<Buffer> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

/** Where the join looks beyond the outcomes file. */
export interface JoinSources {
  /** Parts of the parent snapshot: an outcome for an application in one is already known. */
  knownParts: string[];
  /** The local copies of S3 objects, shared by the job's steps so that its local disk peak is one figure. */
  files?: LocalFiles;
}

/**
 * Streams an outcomes file (application_id, loan_paid_back, observed_at), checking it row by row: invalid rows
 * are counted with their line numbers and the rest goes on, into the engine. Then joins the valid outcomes with
 * the applications table (each application's latest captured answer, over the committed parts) and sorts every
 * row into matched, unmatched, duplicate or already known (in a part of the parent snapshot). No row becomes an
 * object here: the file's rows go through a staging file, the join runs in the engine (spilling past its memory
 * limit), and the matches stay there. Parts are read in batches within the local disk budget, and only the
 * applications the outcomes name are kept from them: memory and disk follow the month's outcomes, and the history
 * costs a scan of its application_id column.
 */
export async function joinOutcomes(
  root: BlobStore,
  engine: Engine,
  outcomes: Buffer,
  { knownParts, files = new LocalFiles(root, engine.workDir) }: JoinSources,
): Promise<OutcomeJoin> {
  const counts: OutcomeCounts = { rows: 0, matched: 0, unmatched: 0, duplicate: 0, already_known: 0, invalid: 0 };
  const examples: string[] = [];
  const staged = path.join(engine.workDir, 'outcomes.ndjson');
  const out = createWriteStream(staged);
  let checkedHeader = false;
  // Fed in slices, so the parser holds a few rows at a time: one chunk of the whole file would have it parse every
  // row before the first is read (measured: 200 MB of rows held for a file of 417,000).
  const parser = Readable.from(slices(outcomes, 1 << 16)).pipe(
    parse({ columns: true, skip_empty_lines: true, bom: true }),
  );
  for await (const row of parser as AsyncIterable<Record<string, string>>) {
    if (!checkedHeader) {
      const missing = REQUIRED.filter((c) => !(c in row));
      if (missing.length) throw new Error(`the outcomes file lacks columns: ${missing.join(', ')}`);
      checkedHeader = true;
    }
    counts.rows++;
    const line = counts.rows + 1;
    const problem = !row.application_id
      ? 'application_id is empty'
      : row.loan_paid_back !== '0' && row.loan_paid_back !== '1'
        ? `loan_paid_back must be 0 or 1, got '${String(row.loan_paid_back).slice(0, 20)}'`
        : Number.isNaN(Date.parse(row.observed_at))
          ? `observed_at '${String(row.observed_at).slice(0, 40)}' is not a date`
          : null;
    if (problem) {
      counts.invalid++;
      if (examples.length < 5) examples.push(`line ${line}: ${problem}`);
      continue;
    }
    const observedAt = new Date(row.observed_at).toISOString();
    const text = `${JSON.stringify({ line, application_id: row.application_id, loan_paid_back: Number(row.loan_paid_back), observed_at: observedAt })}\n`;
    if (!out.write(text)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  out.end();
  await finished(out);
  if (counts.rows === 0) throw new Error('the outcomes file has no rows');

  const c = engine.connection;
  await c.run(`CREATE OR REPLACE TEMP TABLE outcome_rows AS
      SELECT *, row_number() OVER (PARTITION BY application_id ORDER BY line) AS occurrence
      FROM read_json(${sqlString(staged)}, format = 'newline_delimited',
        columns = {line: 'INTEGER', application_id: 'VARCHAR', loan_paid_back: 'INTEGER', observed_at: 'VARCHAR'})`);
  await rm(staged, { force: true });
  const named = 'application_id IN (SELECT application_id FROM outcome_rows)';
  await c.run(`CREATE OR REPLACE TEMP TABLE known_ids (application_id VARCHAR)`);
  await files.inBatches(knownParts, (paths) =>
    c.run(`INSERT INTO known_ids SELECT DISTINCT application_id FROM ${readParquet(paths)} WHERE ${named}`),
  );
  await c.run(`CREATE OR REPLACE TEMP TABLE named_answers (${APPLICATION_COLUMNS})`);
  await files.inBatches(await committedParts(root), (paths) =>
    // By name: parts written before a column existed (policy_version, rules_fired) give it as null.
    c.run(`INSERT INTO named_answers BY NAME SELECT * FROM ${readParquet(paths)} WHERE ${named}`),
  );
  // The verdicts as a view: counted, then the matches alone are kept (one table of the month's size, not two).
  await c.run(`CREATE OR REPLACE TEMP VIEW outcome_join AS
      SELECT o.line, o.loan_paid_back, o.observed_at,
        CASE WHEN o.occurrence > 1 THEN 'duplicate'
             WHEN k.application_id IS NOT NULL THEN 'already_known'
             WHEN a.application_id IS NULL THEN 'unmatched'
             ELSE 'matched' END AS verdict,
        a.* EXCLUDE (application_id), o.application_id
      FROM outcome_rows o
      LEFT JOIN (SELECT DISTINCT application_id FROM known_ids) k ON k.application_id = o.application_id
      LEFT JOIN (SELECT * FROM named_answers
        QUALIFY row_number() OVER (PARTITION BY application_id ORDER BY answered_at DESC, prediction_id DESC) = 1
      ) a ON a.application_id = o.application_id`);
  for (const row of (
    await c.runAndReadAll(`SELECT verdict, count(*)::INTEGER AS n FROM outcome_join GROUP BY 1`)
  ).getRowObjects()) {
    counts[row.verdict as 'matched' | 'unmatched' | 'duplicate' | 'already_known'] = row.n as number;
  }
  await c.run(`CREATE OR REPLACE TEMP TABLE ${MATCHED} AS
      SELECT * EXCLUDE (verdict, answered_at), strftime(answered_at, '%Y-%m-%dT%H:%M:%S.%gZ') AS answered_at
      FROM outcome_join WHERE verdict = 'matched'`);
  await c.run('DROP VIEW outcome_join; DROP TABLE outcome_rows; DROP TABLE known_ids; DROP TABLE named_answers');
  return { counts, examples, local_bytes: files.peakBytes };
}

/** The matched rows as objects, in the outcomes file's order: for a caller that needs them all at once. */
export async function matchedRows(engine: Engine): Promise<JoinedRow[]> {
  const result = await engine.connection.runAndReadAll(`SELECT * EXCLUDE (line) FROM ${MATCHED} ORDER BY line`);
  return result.getRowObjects().map((r) => r as unknown as JoinedRow);
}
