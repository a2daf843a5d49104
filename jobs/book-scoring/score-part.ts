import { BIGINT, DOUBLE, DuckDBAppender, DuckDBConnection, DuckDBDataChunk, VARCHAR } from '@duckdb/node-api';
import { open } from 'node:fs/promises';
import { INPUT_FIELDS, LoanApplication } from '../../service/src/contract/loan-application.contract.js';
import type { LoadedModel } from '../../service/src/model/loaded-model.js';
import { answerOf } from '../../service/src/predict/answer.js';
import { openEngine, sqlString } from '../tables/engine.js';
import {
  BookInputError,
  columnProblems,
  rawNumberColumns,
  rowProblems,
  typedColumns,
  validRowPredicate,
} from './book-contract.js';

export type ReasonsOption = 'none' | 'declines' | 'all';
export type PartFormat = 'parquet' | 'csv';

/** One input part to score, on local disk, and where its output and rejects go (local files). */
export interface PartJob {
  /** The part's name in the input (for messages and the manifest). */
  part: string;
  file: string;
  format: PartFormat;
  /** The key column carried to the output (loan_id, application_id, ...). */
  key: string;
  reasons: ReasonsOption;
  outFile: string;
  rejectsFile: string;
  workDir: string;
}

export interface PartCounts {
  rows: number;
  scored: number;
  rejected: number;
  /** Rejected rows by the field of their first problem. */
  rejected_by_field: Record<string, number>;
}

/** Rows per ONNX Runtime run: past a thousand, a run's fixed cost is noise. */
const SCORE_ROWS = 4096;
/** DuckDB's vector size: the most rows one appended chunk holds. */
const CHUNK_ROWS = 2048;
/** DuckDB's own memory for one part (reading a row group, the scored table before it is written out). */
const PART_ENGINE_MB = 192;

const source = (job: PartJob) =>
  job.format === 'parquet'
    ? `read_parquet(${sqlString(job.file)})`
    : `read_csv(${sqlString(job.file)}, header = true, all_varchar = true)`;

async function describe(connection: DuckDBConnection, job: PartJob): Promise<Map<string, string>> {
  try {
    const rows = (await connection.runAndReadAll(`DESCRIBE SELECT * FROM ${source(job)}`)).getRowObjects();
    return new Map(rows.map((r) => [String(r.column_name), String(r.column_type)]));
  } catch (error) {
    throw new BookInputError(
      `${job.part}: cannot be read as ${job.format}: ${(error as Error).message.split('\n')[0]}`,
    );
  }
}

/**
 * Scores one part: its rows stream through in DuckDB's chunks (memory bounded by a chunk and one scoring batch),
 * each is checked against the data contract in SQL, valid rows are scored by the verified model in batches and
 * answered as POST /predict answers them, and invalid ones are written to the rejects file with the API's messages.
 * The scored rows are appended to a table on disk and written to one Parquet file at the end.
 */
export async function scorePart(model: LoadedModel, job: PartJob): Promise<PartCounts> {
  const engine = await openEngine({
    workDir: job.workDir,
    memoryLimitMb: PART_ENGINE_MB,
    threads: 1,
    preserveOrder: true,
  });
  const rejects = await open(job.rejectsFile, 'w');
  const counts: PartCounts = { rows: 0, scored: 0, rejected: 0, rejected_by_field: {} };
  try {
    const problem = columnProblems(job.part, await describe(engine.connection, job), job.key, job.format);
    if (problem) throw new BookInputError(problem);
    const withReasons = job.reasons !== 'none';
    await engine.connection.run(
      `CREATE TABLE scored (row_number BIGINT, book_key VARCHAR, probability_of_default DOUBLE, decision VARCHAR, ` +
        `rating_grade VARCHAR${withReasons ? ', reasons VARCHAR' : ''})`,
    );
    const writer = await engine.connect();
    const appender = await writer.createAppender('scored');
    const types = [BIGINT, VARCHAR, DOUBLE, VARCHAR, VARCHAR, ...(withReasons ? [VARCHAR] : [])];

    const stream = await engine.connection.stream(
      `SELECT row_number() OVER () AS row_number, *, coalesce(${validRowPredicate()}, false) AS book_valid ` +
        `FROM (SELECT ${typedColumns(job.key)}, ${rawNumberColumns()} FROM ${source(job)})`,
    );
    const names = stream.columnNames();
    const at = (name: string) => names.indexOf(name);
    const [rowAt, keyAt, validAt] = [at('row_number'), at('book_key'), at('book_valid')];
    const fieldAt = INPUT_FIELDS.map(at);

    let pending: { row: bigint; key: string; application: LoanApplication }[] = [];
    const flush = async () => {
      if (pending.length === 0) return;
      const batch = pending;
      pending = [];
      await appendScored(model, batch, job.reasons, appender, types);
      counts.scored += batch.length;
    };
    for (let chunk = await stream.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await stream.fetchChunk()) {
      const columns = chunk.getColumns();
      const lines: string[] = [];
      for (let i = 0; i < chunk.rowCount; i++) {
        counts.rows++;
        if (columns[validAt][i] === true) {
          const application = {} as Record<string, unknown>;
          for (let f = 0; f < INPUT_FIELDS.length; f++) application[INPUT_FIELDS[f]] = columns[fieldAt[f]][i];
          pending.push({
            row: columns[rowAt][i] as bigint,
            key: columns[keyAt][i] as string,
            application: application as unknown as LoanApplication,
          });
          continue;
        }
        const row = Object.fromEntries(names.map((name, c) => [name, columns[c][i]]));
        const problems = await rowProblems(row, job.key);
        counts.rejected++;
        counts.rejected_by_field[problems[0].field] = (counts.rejected_by_field[problems[0].field] ?? 0) + 1;
        lines.push(
          JSON.stringify({
            row: Number(row.row_number),
            [job.key]: row.book_key ?? null,
            field: problems[0].field,
            message: problems[0].message,
            problems,
          }),
        );
      }
      if (lines.length) await rejects.write(lines.join('\n') + '\n');
      if (pending.length >= SCORE_ROWS) await flush();
    }
    await flush();
    appender.closeSync();

    const key = `"${job.key.replace(/"/g, '""')}"`;
    await engine.connection.run(
      `COPY (SELECT row_number, book_key AS ${key}, probability_of_default, decision, ` +
        `${model.threshold}::DOUBLE AS threshold, ${sqlString(model.version)} AS model_version, rating_grade` +
        `${withReasons ? ', reasons' : ''} FROM scored ORDER BY row_number) ` +
        `TO ${sqlString(job.outFile)} (FORMAT parquet, COMPRESSION zstd)`,
    );
    return counts;
  } finally {
    await rejects.close();
    engine.close();
  }
}

/** Scores a batch as the API does (one session run), and appends its answers in DuckDB-sized chunks. */
async function appendScored(
  model: LoadedModel,
  batch: { row: bigint; key: string; application: LoanApplication }[],
  reasons: ReasonsOption,
  appender: DuckDBAppender,
  types: (typeof VARCHAR)[] | (typeof BIGINT | typeof DOUBLE | typeof VARCHAR)[],
): Promise<void> {
  const applications = batch.map((b) => b.application);
  const scores = await model.score(applications);
  const answers = applications.map((_, i) => answerOf(model, scores[i]));
  const explained =
    reasons === 'none'
      ? null
      : explainRows(
          model,
          applications,
          answers.map((a) => reasons === 'all' || a.decision === 'decline'),
        );
  for (let start = 0; start < batch.length; start += CHUNK_ROWS) {
    const end = Math.min(batch.length, start + CHUNK_ROWS);
    const columns: (bigint | string | number | null)[][] = [[], [], [], [], []];
    if (explained) columns.push([]);
    for (let i = start; i < end; i++) {
      columns[0].push(batch[i].row);
      columns[1].push(batch[i].key);
      columns[2].push(answers[i].probability_of_default);
      columns[3].push(answers[i].decision);
      columns[4].push(answers[i].rating_grade);
      if (explained) columns[5].push(explained[i]);
    }
    const chunk = DuckDBDataChunk.create(types, end - start);
    chunk.setColumns(columns);
    appender.appendDataChunk(chunk);
  }
}

/** Each chosen row's reasons as JSON text (the API's `reasons`), from the same explainer the service uses. */
function explainRows(model: LoadedModel, applications: LoanApplication[], chosen: boolean[]): (string | null)[] {
  const out: (string | null)[] = new Array(applications.length).fill(null);
  const explainer = model.explainer;
  if (!explainer) return out;
  const rows = chosen.flatMap((c, i) => (c ? [i] : []));
  if (rows.length === 0) return out;
  const x = model.encoder.encode(rows.map((i) => applications[i]));
  rows.forEach((i, r) => {
    out[i] = JSON.stringify(explainer.reasons(applications[i], explainer.contributions(x, r)));
  });
  return out;
}
