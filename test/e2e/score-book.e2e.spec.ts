import { DuckDBInstance } from '@duckdb/node-api';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { INPUT_FIELDS, LoanApplication } from '../../service/src/contract/loan-application.contract.js';
import { PolicyStore } from '../../service/src/policy/policy-store.js';
import { createBlobStore } from '../../service/src/storage/create-blob-store.js';
import { randomApplications } from '../helpers/applications.js';
import { runJob } from '../helpers/cli.js';
import { DEMO_STORE, ROOT } from '../helpers/paths.js';
import { startS3Server, S3TestServer } from '../helpers/s3-server.js';
import { postJson, RunningService, startService, waitFor } from '../helpers/service-process.js';

/*
 * npm run score-book over a real book (Parquet and CSV parts, a few broken rows), against the running service:
 * the same probabilities, decisions, grades and reasons as POST /predict, the same messages for broken rows, a
 * re-run and a killed run that finish with every row once, bad parts refused with exit 2, and an S3 round trip.
 */
const ROWS = 10_000;
let dir: string;
let applications: LoanApplication[];
let service: RunningService;

/** Rows the API refuses, as they stand in a CSV part: [column, text in the CSV]. */
const BROKEN: [string, string][] = [
  ['annual_income', ''],
  ['annual_income', '0'],
  ['credit_score', 'abc'],
  ['credit_score', '700.5'],
  ['credit_score', '851'],
  ['gender', 'female'],
  ['grade_subgrade', 'H1'],
  ['loan_purpose', 'Holiday'],
];

const loanId = (i: number) => `L${String(i).padStart(6, '0')}`;
const csvLine = (values: unknown[]) =>
  values.map((v) => (typeof v === 'string' && /[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : String(v))).join(',');

async function sql(statement: string) {
  const db = await DuckDBInstance.create(':memory:');
  const connection = await db.connect();
  try {
    return (await connection.runAndReadAll(statement)).getRowObjectsJson();
  } finally {
    connection.closeSync();
    db.closeSync();
  }
}

/** Writes applications [from, to) as a CSV part, with the broken rows appended when asked. */
async function writeCsv(file: string, from: number, to: number, broken = false) {
  const lines = [csvLine(['loan_id', ...INPUT_FIELDS])];
  for (let i = from; i < to; i++)
    lines.push(csvLine([loanId(i), ...INPUT_FIELDS.map((f) => applications[i][f as keyof LoanApplication])]));
  if (broken) {
    BROKEN.forEach(([column, text], b) => {
      const row = { ...applications[b] } as Record<string, unknown>;
      row[column] = text;
      lines.push(csvLine([`BAD${b}`, ...INPUT_FIELDS.map((f) => row[f])]));
    });
    // A row without its key.
    lines.push(csvLine(['', ...INPUT_FIELDS.map((f) => applications[0][f as keyof LoanApplication])]));
  }
  await writeFile(file, lines.join('\n') + '\n');
}

/** A book folder: Parquet parts (through DuckDB, from CSV) and one CSV part with the broken rows. */
async function writeBook(folder: string, parquetParts: number) {
  await mkdir(folder, { recursive: true });
  const perPart = Math.ceil(8000 / parquetParts);
  for (let p = 0; p < parquetParts; p++) {
    const csv = path.join(dir, `tmp-${p}.csv`);
    await writeCsv(csv, p * perPart, Math.min(8000, (p + 1) * perPart));
    await sql(
      `COPY (SELECT * FROM read_csv('${csv}', header = true)) TO '${path.join(folder, `part-${p}.parquet`)}' (FORMAT parquet)`,
    );
    await rm(csv);
  }
  await writeCsv(path.join(folder, 'part-csv.csv'), 8000, ROWS, true);
}

const scoreBook = (args: string[], env: Record<string, string> = {}) =>
  runJob('score-book.ts', ['--workers', '2', ...args], { LOG_LEVEL: 'warn', ...env });

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'score-book-'));
  applications = randomApplications(ROWS, 2026);
  await writeBook(path.join(dir, 'book'), 2);
  service = await startService();
});

afterAll(async () => {
  await service?.stop();
  await rm(dir, { recursive: true, force: true });
});

it('scores every valid row as POST /predict answers it and rejects the rest with the API message', async () => {
  const out = path.join(dir, 'out');
  const run = await scoreBook(['--in', path.join(dir, 'book'), '--out', out, '--reasons', 'declines']);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  const manifest = JSON.parse(await readFile(path.join(out, 'manifest.json'), 'utf8'));
  expect(manifest).toMatchObject({ status: 'complete', rows: ROWS + BROKEN.length + 1, scored: ROWS });
  expect(manifest.rejected).toBe(BROKEN.length + 1);
  // Each reason code's words are in the run's manifest, from the version's catalogue.
  expect(manifest.reason_catalogue.map((r: { code: string }) => r.code)).toContain('R01');
  expect(manifest.parts.map((p: { part: string }) => p.part)).toEqual([
    'part-0.parquet',
    'part-1.parquet',
    'part-csv.csv',
  ]);
  expect(existsSync(path.join(out, '_SUCCESS'))).toBe(true);

  const scored = await sql(`SELECT * FROM read_parquet('${out}/parts/*.parquet') ORDER BY loan_id`);
  expect(scored).toHaveLength(ROWS);
  let worst = 0;
  let declines = 0;
  for (let start = 0; start < ROWS; start += 1000) {
    const rows = scored.slice(start, start + 1000);
    const answer = await postJson(`${service.url}/predict/batch`, {
      applications: rows.map((r) => applications[Number(String(r.loan_id).slice(1))]),
    });
    expect(answer.status).toBe(200);
    answer.json.predictions.forEach((p: Record<string, unknown>, i: number) => {
      const row = rows[i];
      worst = Math.max(worst, Math.abs(Number(row.probability_of_default) - Number(p.probability_of_default)));
      expect([row.decision, row.rating_grade, row.model_version, row.threshold]).toEqual([
        p.decision,
        p.rating_grade,
        p.model_version,
        p.threshold,
      ]);
      if (p.decision === 'decline') {
        declines++;
        expect(row.reason_codes).toEqual((p.reasons as { code: string }[]).map((r) => r.code));
      } else expect(row.reason_codes).toBeNull();
    });
  }
  console.log(
    `book parity: ${ROWS} rows, worst |difference| ${worst}, ${declines} declines with the same reason codes`,
  );
  expect(worst).toBeLessThanOrEqual(1e-6);
  expect(declines).toBeGreaterThan(100);

  // Each broken row: the reject names its row, key, field and the message POST /predict gives for the same body.
  const rejects = (await readFile(path.join(out, 'rejects/part-csv.jsonl'), 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  expect(rejects).toHaveLength(BROKEN.length + 1);
  for (const [b, [column]] of BROKEN.entries()) {
    const reject = rejects.find((r) => r.loan_id === `BAD${b}`);
    expect(reject).toMatchObject({ row: ROWS - 8000 + b + 1, field: column });
    const body = { ...applications[b] } as Record<string, unknown>;
    const text = BROKEN[b][1];
    if (text === '') delete body[column];
    else body[column] = Number.isNaN(Number(text)) ? text : Number(text);
    const api = await postJson(`${service.url}/predict`, body);
    expect(api.status).toBe(400);
    expect(reject.message).toBe(api.json.errors[0].message);
  }
  expect(rejects.at(-1)).toMatchObject({ field: 'loan_id', message: 'loan_id must not be empty', loan_id: null });
});

it("decides the book by the store's published policy, as a service on that store answers: knock-outs, referrals, rules and reasons", async () => {
  // A copy of the demo store with the example policy (two knock-outs, a refer band, a segment) published and promoted.
  const store = path.join(dir, 'policy-store');
  await cp(DEMO_STORE, store, { recursive: true });
  const policies = new PolicyStore(await createBlobStore(store), 'loan-default');
  const example = JSON.parse(await readFile(path.join(ROOT, 'docs/credit-policy.example.json'), 'utf8'));
  const version = await policies.publish(example);
  await policies.promote('production', version);
  const decidedBy = await startService({ MODEL_STORE: store });
  try {
    const part = path.join(dir, 'book', 'part-csv.csv');
    const out = path.join(dir, 'out-policy');
    const run = await scoreBook(['--in', part, '--out', out, '--store', store, '--reasons', 'declines']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const manifest = JSON.parse(await readFile(path.join(out, 'manifest.json'), 'utf8'));
    expect(manifest.policy.version).toBe(version);
    expect(manifest.policy.knock_outs.map((k: { code: string }) => k.code)).toEqual(['K01', 'K02']);

    const scored = await sql(`SELECT * FROM read_parquet('${out}/parts/*.parquet') ORDER BY loan_id`);
    const predictions: Record<string, unknown>[] = [];
    for (let start = 0; start < scored.length; start += 1000) {
      const answer = await postJson(`${decidedBy.url}/predict/batch`, {
        applications: scored.slice(start, start + 1000).map((r) => applications[Number(String(r.loan_id).slice(1))]),
      });
      expect(answer.status).toBe(200);
      predictions.push(...answer.json.predictions);
    }
    const mix: Record<string, number> = {};
    let knockedOut = 0;
    predictions.forEach((p, i) => {
      const row = scored[i];
      expect([row.decision, row.policy_version, row.rules_fired, row.rating_grade]).toEqual([
        p.decision,
        p.policy_version,
        p.rules_fired,
        p.rating_grade,
      ]);
      expect(row.reason_codes).toEqual(
        p.decision === 'approve' ? null : (p.reasons as { code: string }[]).map((r) => r.code),
      );
      mix[p.decision as string] = (mix[p.decision as string] ?? 0) + 1;
      if ((p.rules_fired as string[]).some((code) => code.startsWith('K'))) knockedOut++;
    });
    console.log(`book under policy ${version}: ${JSON.stringify(mix)}, ${knockedOut} declined by a knock-out`);
    expect(manifest).toMatchObject({ declined: mix.decline, referred: mix.refer });
    expect(mix.refer).toBeGreaterThan(20);
    expect(knockedOut).toBeGreaterThan(20);

    // The same output under the built-in policy: the part is scored again (its record was made under another
    // policy), and decided by the model's threshold alone.
    const built = await scoreBook(['--in', part, '--out', out, '--store', store, '--policy-version', 'default']);
    expect(built.code).toBe(0);
    const again = JSON.parse(await readFile(path.join(out, 'manifest.json'), 'utf8'));
    expect(again.parts[0].skipped).toBe(false);
    expect(again).toMatchObject({ policy: { version: 'default', knock_outs: [] }, referred: 0 });
    const [wrong] = await sql(
      `SELECT count(*) FILTER (WHERE decision <> CASE WHEN probability_of_default >= threshold THEN 'decline' ELSE 'approve' END ` +
        `OR len(rules_fired) > 0) AS n FROM read_parquet('${out}/parts/*.parquet')`,
    );
    expect(wrong).toEqual({ n: '0' });
  } finally {
    await decidedBy.stop();
  }
});

it('skips complete parts on a re-run and finishes a killed run with every row once', async () => {
  const book = path.join(dir, 'book-many');
  await writeBook(book, 6);
  const out = path.join(dir, 'out-killed');
  // One worker, killed (its whole process group: tsx runs the job in a child) once the first part's record is written.
  const child = spawn(
    path.join(ROOT, 'node_modules/.bin/tsx'),
    ['jobs/score-book.ts', '--in', book, '--out', out, '--workers', '1'],
    {
      cwd: ROOT,
      env: { ...process.env, NODE_OPTIONS: '', LOG_LEVEL: 'warn' },
      stdio: 'ignore',
      detached: true,
    },
  );
  const exited = new Promise((resolve) => child.once('exit', resolve));
  await waitFor(async () => (await readdir(path.join(out, 'records')).catch(() => [])).length >= 1, 120_000, 20);
  process.kill(-child.pid!, 'SIGKILL');
  await exited;
  const doneBefore = (await readdir(path.join(out, 'records'))).length;
  expect(doneBefore).toBeLessThan(7);
  expect(existsSync(path.join(out, '_SUCCESS'))).toBe(false);

  const resumed = await scoreBook(['--in', book, '--out', out]);
  expect(resumed.code).toBe(0);
  const manifest = JSON.parse(await readFile(path.join(out, 'manifest.json'), 'utf8'));
  const skipped = manifest.parts.filter((p: { skipped: boolean }) => p.skipped).length;
  console.log(
    `resumed run: ${doneBefore} of 7 parts done before the kill, ${skipped} skipped, ${7 - skipped} scored; ` +
      `rows ${manifest.rows}, scored ${manifest.scored}, rejected ${manifest.rejected}`,
  );
  expect(skipped).toBe(doneBefore);
  expect(manifest).toMatchObject({ rows: ROWS + BROKEN.length + 1, scored: ROWS, rejected: BROKEN.length + 1 });
  const [counts] = await sql(
    `SELECT count(*) AS n, count(DISTINCT loan_id) AS keys FROM read_parquet('${out}/parts/*.parquet')`,
  );
  expect(counts).toEqual({ n: String(ROWS), keys: String(ROWS) });

  // A third run finds everything complete.
  const again = await scoreBook(['--in', book, '--out', out]);
  expect(again.code).toBe(0);
  const third = JSON.parse(await readFile(path.join(out, 'manifest.json'), 'utf8'));
  expect(third.parts.every((p: { skipped: boolean }) => p.skipped)).toBe(true);
});

it('refuses a part that is not a book with exit code 2, naming the part and the column', async () => {
  const bad = path.join(dir, 'bad');
  await mkdir(bad, { recursive: true });
  await writeFile(path.join(bad, 'notes.txt'), 'hello');
  let run = await scoreBook(['--in', bad, '--out', path.join(dir, 'bad-out')]);
  expect(run.code).toBe(2);
  expect(run.stderr).toContain('notes.txt: not a Parquet or CSV file');

  await rm(path.join(bad, 'notes.txt'));
  await writeFile(path.join(bad, 'garbage.parquet'), 'not parquet at all');
  run = await scoreBook(['--in', bad, '--out', path.join(dir, 'bad-out')]);
  expect(run.code).toBe(2);
  expect(run.stderr).toContain('garbage.parquet: cannot be read as parquet');

  await rm(path.join(bad, 'garbage.parquet'));
  await sql(
    `COPY (SELECT 'L1' AS loan_id, 'lots' AS annual_income, 0.1 AS debt_to_income_ratio, 700 AS credit_score, 1000.0 AS loan_amount, ` +
      `10.0 AS interest_rate, 'Male' AS gender, 'Single' AS marital_status, 'PhD' AS education_level, ` +
      `'Employed' AS employment_status, 'Car' AS loan_purpose) TO '${path.join(bad, 'typed.parquet')}' (FORMAT parquet)`,
  );
  run = await scoreBook(['--in', bad, '--out', path.join(dir, 'bad-out')]);
  expect(run.code).toBe(2);
  expect(run.stderr).toContain('typed.parquet: column annual_income is VARCHAR, the contract needs a number');
  expect(run.stderr).toContain('column grade_subgrade is missing');
});

it('fails the run past --max-reject-rate without a success marker', async () => {
  const out = path.join(dir, 'out-strict');
  const run = await scoreBook([
    '--in',
    path.join(dir, 'book', 'part-csv.csv'),
    '--out',
    out,
    '--max-reject-rate',
    '0.001',
  ]);
  expect(run.code).toBe(3);
  expect(run.stderr).toMatch(/9 of 2009 rows \(0\.45%\) broke the data contract, more than --max-reject-rate 0\.001/);
  const manifest = JSON.parse(await readFile(path.join(out, 'manifest.json'), 'utf8'));
  expect(manifest.status).toBe('failed');
  expect(manifest.rejected_by_field).toMatchObject({ credit_score: 3, loan_id: 1 });
  expect(existsSync(path.join(out, '_SUCCESS'))).toBe(false);
});

describe('on S3', () => {
  let s3: S3TestServer;
  beforeAll(async () => {
    s3 = await startS3Server();
    await s3.createBucket('books');
  });
  afterAll(async () => s3?.dispose());

  it('reads parts from a prefix and writes the output under another, one part at a time as a map item does', async () => {
    const { PutObjectCommand } = await import('@aws-sdk/client-s3');
    for (const file of await readdir(path.join(dir, 'book')))
      await s3.client.send(
        new PutObjectCommand({
          Bucket: 'books',
          Key: `in/2026-12/${file}`,
          Body: await readFile(path.join(dir, 'book', file)),
        }),
      );
    // As the state machine runs it: one task per part, then one that writes the manifest.
    for (const file of ['part-0.parquet', 'part-1.parquet', 'part-csv.csv']) {
      const run = await scoreBook(
        ['--in', `s3://books/in/2026-12/${file}`, '--out', 's3://books/out/2026-12', '--single-part'],
        s3.env,
      );
      expect(run.code).toBe(0);
    }
    // A map item that names a prefix (a folder's placeholder key) is refused, never scored as the whole book.
    const prefix = await scoreBook(
      ['--in', 's3://books/in/2026-12/', '--out', 's3://books/out/elsewhere', '--single-part'],
      s3.env,
    );
    expect(prefix.code).toBe(2);
    expect(prefix.stderr).toContain('--single-part needs --in to name one .parquet or .csv part');
    const final = await scoreBook(
      ['--in', 's3://books/in/2026-12', '--out', 's3://books/out/2026-12', '--finalize'],
      s3.env,
    );
    expect(final.code).toBe(0);
    const { GetObjectCommand } = await import('@aws-sdk/client-s3');
    const manifest = JSON.parse(
      await (
        await s3.client.send(new GetObjectCommand({ Bucket: 'books', Key: 'out/2026-12/manifest.json' }))
      ).Body!.transformToString(),
    );
    expect(manifest).toMatchObject({ status: 'complete', rows: ROWS + BROKEN.length + 1, scored: ROWS });
    const success = await s3.client.send(new GetObjectCommand({ Bucket: 'books', Key: 'out/2026-12/_SUCCESS' }));
    expect(success.$metadata.httpStatusCode).toBe(200);
  });
});
