import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { finished } from 'node:stream/promises';
import { isMissing } from '../../service/src/storage/blob-store.js';
import type { BlobStore } from '../../service/src/storage/blob-store.js';
import { Engine, readParquet, sqlString } from './engine.js';
import { APPLICATIONS, LEDGER, LOG_FILE, PREDICTIONS } from './layout.js';
import { LocalFiles } from './local-files.js';
import { LogRejection, readLogFile } from './prediction-log-file.js';

/** What one compacted set of log files became: written after its part, so its presence commits the part. */
export interface LedgerEntry {
  day: string;
  files: string[];
  /** The part's key, or null when none of the files' lines had an application to keep. */
  part: string | null;
  rows: number;
  compacted_at: string;
}

/** Every log line the run read ends up in one of these, and they add up (lines_read). */
export interface CompactionCounts {
  files: number;
  truncated_files: number;
  lines_read: number;
  /** Kept: the latest answer of each application of the day. */
  rows_written: number;
  /** An earlier answer to an application answered again the same day. */
  superseded: number;
  without_application_id: number;
  rejected: Record<LogRejection, number>;
}

export interface CompactionReport extends CompactionCounts {
  days_compacted: string[];
  /** Days still open (today, as of the run), left for a later run. */
  days_open: number;
  parts: string[];
  examples: string[];
}

const LINE_COLUMNS = `{
  prediction_id: 'VARCHAR', application_id: 'VARCHAR',
  inputs: 'STRUCT(annual_income DOUBLE, debt_to_income_ratio DOUBLE, credit_score INTEGER, loan_amount DOUBLE,
    interest_rate DOUBLE, gender VARCHAR, marital_status VARCHAR, education_level VARCHAR, employment_status VARCHAR,
    loan_purpose VARCHAR, grade_subgrade VARCHAR)',
  probability_of_default: 'DOUBLE', decision: 'VARCHAR', rating_grade: 'VARCHAR', threshold: 'DOUBLE', model_version: 'VARCHAR',
  timestamp: 'VARCHAR', request_id: 'VARCHAR', policy_version: 'VARCHAR', rules_fired: 'VARCHAR[]',
  shadow: 'STRUCT(model_version VARCHAR, probability_of_default DOUBLE, decision VARCHAR)'
}`;

/** The ledger: which log files are compacted already, by day. */
export async function readLedger(root: BlobStore): Promise<LedgerEntry[]> {
  const keys = (await root.list(LEDGER)).filter((k) => k.endsWith('.json'));
  return Promise.all(keys.map(async (k) => JSON.parse((await root.get(k)).toString('utf8')) as LedgerEntry));
}

/** The committed parts of the applications table (a part no ledger entry names was never committed). */
export async function committedParts(root: BlobStore): Promise<string[]> {
  return (await readLedger(root))
    .map((e) => e.part)
    .filter((p): p is string => p !== null)
    .sort();
}

/**
 * Compacts each closed day of the prediction log (before `asOf`'s date; with `includeOpenDay`, today's files
 * too, as a job that must join them does: files written later that day get a part of their own) into Parquet:
 * one part per set of log files not compacted before, holding the latest answer of each application of that
 * day, with typed columns. A
 * compacted file is never read again. The part is written first and its ledger entry last; a run killed in
 * between leaves a part no entry names, which readers ignore and the next run writes again under the same key
 * (its name hashes the files it holds), so every record is compacted once. Work and memory follow the day
 * being compacted, not the history.
 */
export async function compact(
  root: BlobStore,
  engine: Engine,
  { asOf = new Date(), includeOpenDay = false }: { asOf?: Date; includeOpenDay?: boolean } = {},
): Promise<CompactionReport> {
  const report: CompactionReport = {
    days_compacted: [],
    days_open: 0,
    parts: [],
    examples: [],
    files: 0,
    truncated_files: 0,
    lines_read: 0,
    rows_written: 0,
    superseded: 0,
    without_application_id: 0,
    rejected: { malformed_line: 0, missing_fields: 0, truncated_line: 0 },
  };
  const compacted = new Set((await readLedger(root)).flatMap((e) => e.files));
  const byDay = new Map<string, string[]>();
  for (const key of await root.list(PREDICTIONS)) {
    const day = LOG_FILE.exec(key)?.[1];
    if (day && !compacted.has(key)) byDay.set(day, [...(byDay.get(day) ?? []), key]);
  }
  const today = asOf.toISOString().slice(0, 10);
  const files = new LocalFiles(root, engine.workDir);
  for (const day of [...byDay.keys()].sort()) {
    if (day > today || (day === today && !includeOpenDay)) {
      report.days_open++;
      continue;
    }
    const entry = await compactDay(root, engine, files, day, byDay.get(day)!.sort(), report);
    report.days_compacted.push(day);
    if (entry.part) report.parts.push(entry.part);
  }
  return report;
}

async function compactDay(
  root: BlobStore,
  engine: Engine,
  files: LocalFiles,
  day: string,
  keys: string[],
  report: CompactionReport,
): Promise<LedgerEntry> {
  const id = createHash('sha256').update(keys.join('\n')).digest('hex').slice(0, 12);
  const staged = path.join(engine.workDir, `staged-${day}-${id}.ndjson`);
  const out = createWriteStream(staged);
  let kept = 0;
  for (const key of keys) {
    let bytes: Buffer;
    try {
      bytes = await root.get(key);
    } catch (error) {
      // Listed a moment ago: gone since (a delete by hand). Not compacted; the ledger will not name it.
      if (isMissing(error)) continue;
      throw error;
    }
    const read = readLogFile(key, bytes);
    report.files++;
    if (read.truncated) report.truncated_files++;
    const rejected = Object.values(read.rejected).reduce((a, b) => a + b, 0);
    report.lines_read += read.lines.length + read.withoutApplicationId + rejected;
    report.without_application_id += read.withoutApplicationId;
    for (const kind of Object.keys(read.rejected) as LogRejection[]) report.rejected[kind] += read.rejected[kind];
    report.examples.push(...read.examples.slice(0, Math.max(0, 10 - report.examples.length)));
    for (const line of read.lines) {
      if (!out.write(`${line}\n`)) await new Promise<void>((r) => out.once('drain', () => r()));
    }
    kept += read.lines.length;
  }
  out.end();
  await finished(out);
  const month = day.slice(0, 7);
  let part: string | null = null;
  let rows = 0;
  if (kept > 0) {
    part = `${APPLICATIONS}month=${month}/part-dt=${day}-${id}.parquet`;
    const local = path.join(engine.workDir, `part-${day}-${id}.parquet`);
    await engine.connection.run(`COPY (
        SELECT application_id, prediction_id,
          inputs.annual_income AS annual_income, inputs.debt_to_income_ratio AS debt_to_income_ratio,
          inputs.credit_score AS credit_score, inputs.loan_amount AS loan_amount, inputs.interest_rate AS interest_rate,
          inputs.gender AS gender, inputs.marital_status AS marital_status, inputs.education_level AS education_level,
          inputs.employment_status AS employment_status, inputs.loan_purpose AS loan_purpose,
          inputs.grade_subgrade AS grade_subgrade, probability_of_default, decision, threshold, model_version,
          CAST(timestamp AS TIMESTAMP) AS answered_at, request_id,
          shadow.model_version AS shadow_model_version, shadow.probability_of_default AS shadow_probability_of_default,
          shadow.decision AS shadow_decision, rating_grade,
          policy_version, array_to_string(rules_fired, ';') AS rules_fired
        FROM read_json(${sqlString(staged)}, format = 'newline_delimited', columns = ${LINE_COLUMNS})
        QUALIFY row_number() OVER (PARTITION BY application_id ORDER BY timestamp DESC, prediction_id DESC) = 1
      ) TO ${sqlString(local)} (FORMAT parquet, COMPRESSION zstd)`);
    const counted = await engine.connection.runAndReadAll(`SELECT count(*)::INTEGER AS n FROM ${readParquet([local])}`);
    rows = counted.getRowObjects()[0].n as number;
    await files.upload(local, part, 'application/vnd.apache.parquet');
  }
  await rm(staged, { force: true });
  report.rows_written += rows;
  report.superseded += kept - rows;
  const entry: LedgerEntry = { day, files: keys, part, rows, compacted_at: new Date().toISOString() };
  await root.put(`${LEDGER}dt=${day}-${id}.json`, Buffer.from(JSON.stringify(entry, null, 2) + '\n'), {
    contentType: 'application/json',
  });
  return entry;
}
