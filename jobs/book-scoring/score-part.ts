import {
  DOUBLE,
  DuckDBAppender,
  DuckDBConnection,
  DuckDBDataChunk,
  DuckDBType,
  INTEGER,
  USMALLINT,
  UTINYINT,
  VARCHAR,
} from '@duckdb/node-api';
import { open } from 'node:fs/promises';
import { INPUT_FIELDS, LoanApplication } from '../../service/src/contract/loan-application.contract.js';
import type { LoadedModel } from '../../service/src/model/loaded-model.js';
import { DECISION_CODE, DECISIONS } from '../../service/src/capture/record-layout.js';
import { explainRows } from '../../service/src/model/explain-rows.js';
import { answerOf } from '../../service/src/predict/answer.js';
import { decide, type PolicyOutcome, type ServingPolicy } from '../../service/src/policy/credit-policy.js';
import { openEngine, sqlString } from '../tables/engine.js';
import {
  BookInputError,
  columnProblems,
  rawNumberColumns,
  rowProblems,
  typedColumns,
  validInputColumns,
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
  /** Scored rows the policy declines. */
  declined: number;
  /** Scored rows the policy refers to a person. */
  referred: number;
  /** Rejected rows by the field of their first problem. */
  rejected_by_field: Record<string, number>;
}

/** Rows per ONNX Runtime run: past a thousand, a run's fixed cost is noise. */
const SCORE_ROWS = 8192;
/** DuckDB's vector size: the most rows one appended chunk holds. */
const CHUNK_ROWS = 2048;
// Row numbers are 32-bit (a part holds fewer than 2^31 rows): a BIGINT would cost a BigInt per row each way.
/** Rows per row group of the output: the Parquet writer holds one in memory. */
const OUTPUT_ROW_GROUP = 16_384;
/** DuckDB's own memory for one part (reading a row group, the scored table before it is written out). */
const PART_ENGINE_MB = 128;

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
 * Scores one part in two passes over it. The first streams the rows in DuckDB's chunks (memory bounded by a chunk and
 * one scoring batch), checks each against the data contract in SQL, and scores the valid ones with the verified model
 * in batches, answered as POST /predict answers them; what JavaScript hands back is numbers only (row number,
 * probability, the decision and grade as codes, the reason codes), appended to a table on disk. The second writes the
 * Parquet part in DuckDB, taking each row's key from the input's valid rows in order (a positional join, which
 * streams: a join by row number would hold every scored row in a hash table), and explains the
 * rejected rows
 * (when the first pass counted any) with the API's own messages.
 */
export async function scorePart(model: LoadedModel, policy: ServingPolicy, job: PartJob): Promise<PartCounts> {
  const engine = await openEngine({
    workDir: job.workDir,
    memoryLimitMb: PART_ENGINE_MB,
    threads: 1,
    preserveOrder: true,
  });
  const counts: PartCounts = { rows: 0, scored: 0, rejected: 0, declined: 0, referred: 0, rejected_by_field: {} };
  try {
    const problem = columnProblems(job.part, await describe(engine.connection, job), job.key, job.format);
    if (problem) throw new BookInputError(problem);
    const withReasons = job.reasons !== 'none';
    await engine.connection.run(
      `CREATE VIEW book AS SELECT (row_number() OVER ())::INTEGER AS row_number, *, ` +
        `coalesce(${validRowPredicate()}, false) AS book_valid ` +
        `FROM (SELECT ${typedColumns(job.key)}, ${rawNumberColumns()} FROM ${source(job)})`,
    );
    await engine.connection.run(
      `CREATE TABLE scored (row_number INTEGER, probability_of_default DOUBLE, decision UTINYINT, rating_grade UTINYINT, ` +
        `rules_fired USMALLINT${withReasons ? ', reasons VARCHAR' : ''})`,
    );
    const appender = await (await engine.connect()).createAppender('scored');
    const types = [INTEGER, DOUBLE, UTINYINT, UTINYINT, USMALLINT, ...(withReasons ? [VARCHAR] : [])];
    const ruleSets = new RuleSets();

    const stream = await engine.connection.stream(`SELECT row_number, book_valid, ${validInputColumns()} FROM book`);
    let pending: { rows: number[]; applications: LoanApplication[] } = { rows: [], applications: [] };
    const flush = async () => {
      if (pending.rows.length === 0) return;
      const batch = pending;
      pending = { rows: [], applications: [] };
      const decided = await appendScored(model, policy, batch, job.reasons, { appender, types, ruleSets });
      counts.declined += decided.declined;
      counts.referred += decided.referred;
      counts.scored += batch.rows.length;
    };
    // The next chunk is asked for before this one is worked on: DuckDB reads while JavaScript scores.
    let next = stream.fetchChunk();
    for (let chunk = await next; chunk && chunk.rowCount > 0; chunk = await next) {
      next = stream.fetchChunk();
      const columns = chunk.getColumns();
      const [rowNumbers, valid] = [columns[0], columns[1]];
      counts.rows += chunk.rowCount;
      for (let i = 0; i < chunk.rowCount; i++) {
        if (valid[i] !== true) continue;
        const application = {} as Record<string, unknown>;
        for (let f = 0; f < INPUT_FIELDS.length; f++) application[INPUT_FIELDS[f]] = columns[f + 2][i];
        pending.rows.push(rowNumbers[i] as number);
        pending.applications.push(application as unknown as LoanApplication);
      }
      if (pending.rows.length >= SCORE_ROWS) await flush();
    }
    await flush();
    appender.closeSync();

    const key = `"${job.key.replace(/"/g, '""')}"`;
    const names = (values: readonly string[]) => `[${values.map(sqlString).join(', ')}]`;
    await engine.connection.run(
      `COPY (SELECT row_number, book_key AS ${key}, probability_of_default, ` +
        `list_extract(${names(DECISIONS)}, decision + 1) AS decision, ${model.threshold}::DOUBLE AS threshold, ` +
        `${sqlString(model.version)} AS model_version, ` +
        `list_extract(${names(model.ratingGrades)}, rating_grade + 1) AS rating_grade, ` +
        `${sqlString(policy.policy_version)} AS policy_version, ` +
        `list_extract(${ruleSets.sql()}, rules_fired + 1) AS rules_fired` +
        `${withReasons ? `, string_split(reasons, ';') AS reason_codes` : ''} ` +
        `FROM (SELECT row_number AS book_row, book_key FROM book WHERE book_valid) POSITIONAL JOIN scored ` +
        `WHERE CASE WHEN book_row = row_number THEN true ELSE error('the scored rows are out of step with the part') END) ` +
        `TO ${sqlString(job.outFile)} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE ${OUTPUT_ROW_GROUP})`,
    );
    await writeRejects(engine.connection, job, counts, counts.rows - counts.scored);
    return counts;
  } finally {
    engine.close();
  }
}

/**
 * The distinct lists of rules fired in a part, each appended as a small code (as decisions and grades are) and
 * turned back into its list when the part is written: a string per row cost a tenth of the part's time, and a policy
 * fires few distinct combinations (code 0: none).
 */
class RuleSets {
  private readonly codes = new Map<string, number>([['', 0]]);
  private readonly lists: (readonly string[])[] = [[]];

  codeOf(rules: readonly string[]): number {
    if (rules.length === 0) return 0;
    const key = rules.join(';');
    let code = this.codes.get(key);
    if (code === undefined) {
      code = this.lists.length;
      if (code > 0xffff) throw new Error(`more than ${0xffff} distinct combinations of rules fired in one part`);
      this.codes.set(key, code);
      this.lists.push(rules);
    }
    return code;
  }

  /** Every list, in code order, as a DuckDB list literal of VARCHAR lists. */
  sql(): string {
    return `[${this.lists.map((rules) => `[${rules.map(sqlString).join(', ')}]::VARCHAR[]`).join(', ')}]`;
  }
}

/** The rejected rows, each explained by the API's validator: row number, key, the first field and its message. */
async function writeRejects(connection: DuckDBConnection, job: PartJob, counts: PartCounts, expected: number) {
  const rejects = await open(job.rejectsFile, 'w');
  try {
    if (expected === 0) return;
    const stream = await connection.stream(`SELECT * FROM book WHERE NOT book_valid`);
    const names = stream.columnNames();
    for (let chunk = await stream.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await stream.fetchChunk()) {
      const lines: string[] = [];
      for (const row of chunk.getRowObjects(names)) {
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
      await rejects.write(lines.join('\n') + '\n');
    }
  } finally {
    await rejects.close();
  }
}

/**
 * Scores a batch as the API does (one session run), decides it under the policy, and appends its answers in
 * DuckDB-sized chunks; resolves how many it declines and refers.
 */
async function appendScored(
  model: LoadedModel,
  policy: ServingPolicy,
  batch: { rows: number[]; applications: LoanApplication[] },
  reasons: ReasonsOption,
  table: { appender: DuckDBAppender; types: DuckDBType[]; ruleSets: RuleSets },
): Promise<{ declined: number; referred: number }> {
  const { rows, applications } = batch;
  const scores = await model.score(applications);
  const outcomes = applications.map((application, i) => decide(policy, application, scores[i], model.threshold));
  const answers = outcomes.map((outcome, i) => answerOf(model, scores[i], outcome, policy.policy_version));
  const explained =
    reasons === 'none'
      ? null
      : reasonCodes(
          model,
          applications,
          outcomes,
          answers.map((a) => reasons === 'all' || a.decision !== 'approve'),
        );
  const decided = { declined: 0, referred: 0 };
  for (let start = 0; start < rows.length; start += CHUNK_ROWS) {
    const end = Math.min(rows.length, start + CHUNK_ROWS);
    const columns: (string | number | null)[][] = [[], [], [], [], []];
    if (explained) columns.push([]);
    for (let i = start; i < end; i++) {
      const { decision } = answers[i];
      if (decision === 'decline') decided.declined++;
      else if (decision === 'refer') decided.referred++;
      columns[0].push(rows[i]);
      columns[1].push(answers[i].probability_of_default);
      columns[2].push(DECISION_CODE[decision]);
      columns[3].push(model.ratingGrades.indexOf(answers[i].rating_grade));
      columns[4].push(table.ruleSets.codeOf(answers[i].rules_fired));
      if (explained) columns[5].push(explained[i]);
    }
    const chunk = DuckDBDataChunk.create(table.types, end - start);
    chunk.setColumns(columns);
    table.appender.appendDataChunk(chunk);
  }
  return decided;
}

/**
 * Each chosen row's reason codes (the API's `reasons[].code`, in its order: a knock-out's own first, then the
 * model's), ';'-joined, from the same explainer the service uses. Codes, not the sentences: a book's declines run to
 * millions, and each code's words are in the run's manifest (the version's reason catalogue, the policy's rules).
 */
function reasonCodes(
  model: LoadedModel,
  applications: LoanApplication[],
  outcomes: PolicyOutcome[],
  chosen: boolean[],
): (string | null)[] {
  const ruleCodes = (i: number) => outcomes[i].knock_outs.map((rule) => rule.code);
  // A knock-out's codes stand even for a version without trees (no model reasons), as the API's do.
  const out = outcomes.map((o, i) => (chosen[i] && o.knock_outs.length > 0 ? ruleCodes(i).join(';') : null));
  const rows = chosen.flatMap((c, i) => (c ? [i] : []));
  explainRows(model, applications, rows, (i, phi, explainer) => {
    out[i] = [...ruleCodes(i), ...explainer.reasons(applications[i], phi).map((reason) => reason.code)].join(';');
  });
  return out;
}
