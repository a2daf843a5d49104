import { DuckDBInstance } from '@duckdb/node-api';
import { mkdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { INPUT_FIELDS } from '../../service/src/contract/loan-application.contract.js';
import { runTraining } from '../lib/python.js';
import { demoModel, rawInference, ROOT } from './harness.js';
import { runMeasured } from './process-tree-rss.js';
import { randomApplications } from '../../test/helpers/applications.js';

/**
 * The book benchmark: a generated book of Parquet parts scored by `npm run score-book`, against raw
 * onnxruntime-node on 1,000-row tensors in the same run (one core each). Per configuration: rows per second, per
 * core, the ratio to raw ORT, each worker's peak RSS (from its own records) and the run's whole process tree.
 */
/** Applications the generator draws per distinct row; a book of more rows repeats them under new loan ids. */
const DISTINCT_ROWS = 1_000_000;

/**
 * Writes a book of `rows` applications with a loan_id as `parts` Parquet parts: the synthetic generator's applicants
 * (the population the demo model was trained on, so the decline share is a lender's, not uniform noise's), at most
 * a million distinct ones, repeated under new loan ids past that.
 */
export async function writeBook(dir: string, rows: number, parts: number): Promise<void> {
  await mkdir(dir, { recursive: true });
  const distinct = Math.min(rows, DISTINCT_ROWS);
  const csv = path.join(dir, '..', 'applications.csv');
  await runTraining(['generate', '--rows', String(distinct), '--seed', '2026', '--out', csv]);
  const db = await DuckDBInstance.create(':memory:', { threads: '2' });
  const connection = await db.connect();
  try {
    await connection.run(
      `CREATE TABLE distinct_rows AS SELECT row_number() OVER () - 1 AS i, ${INPUT_FIELDS.join(', ')} FROM read_csv('${csv}')`,
    );
    const perPart = Math.ceil(rows / parts);
    for (let p = 0; p < parts; p++) {
      const [from, to] = [p * perPart, Math.min(rows, (p + 1) * perPart)];
      await connection.run(
        `COPY (SELECT 'L' || lpad(n::VARCHAR, 9, '0') AS loan_id, ${INPUT_FIELDS.join(', ')} ` +
          `FROM range(${from}, ${to}) t(n) JOIN distinct_rows ON i = n % ${distinct} ORDER BY n) ` +
          `TO '${path.join(dir, `part-${String(p).padStart(4, '0')}.parquet`)}' (FORMAT parquet, COMPRESSION zstd)`,
      );
    }
  } finally {
    connection.closeSync();
    db.closeSync();
    await rm(csv, { force: true });
  }
}

export interface BookFigures {
  rows: number;
  parts: number;
  raw_ort_rows_per_s_per_core: number;
  runs: {
    reasons: string;
    workers: number;
    seconds: number;
    decline_share: number;
    rows_per_s: number;
    rows_per_s_per_core: number;
    ratio_to_raw_ort_per_core: number;
    worker_peak_rss_mb: number;
    tree_peak_rss_mb: number;
  }[];
}

/** Scores the book under each configuration; every run starts from an empty output. */
export async function benchBook(rows: number, parts: number): Promise<BookFigures> {
  const work = path.join(os.tmpdir(), `bench-book-${rows}`);
  const book = path.join(work, 'book');
  const cores = os.availableParallelism();
  await rm(work, { recursive: true, force: true });
  await writeBook(book, rows, parts);
  const { model, manifest } = await demoModel();
  const raw = await rawInference(model, manifest, randomApplications(1000, 7), 10);
  const figures: BookFigures = { rows, parts, raw_ort_rows_per_s_per_core: raw.rows_per_s, runs: [] };
  for (const reasons of ['none', 'declines']) {
    for (const workers of [1, Math.min(2, cores)]) {
      const out = path.join(work, `out-${reasons}-${workers}`);
      const started = performance.now();
      const run = await runMeasured(
        path.join(ROOT, 'node_modules/.bin/tsx'),
        ['jobs/score-book.ts', '--in', book, '--out', out, '--reasons', reasons, '--workers', String(workers)],
        { cwd: ROOT, env: { ...process.env, LOG_LEVEL: 'warn' } },
      );
      const seconds = (performance.now() - started) / 1000;
      if (run.code !== 0) throw new Error(`score-book failed (${run.code}): ${run.stderr}`);
      const manifest = JSON.parse(await readFile(path.join(out, 'manifest.json'), 'utf8')) as {
        scored: number;
        declined: number;
        parts: { worker_peak_rss_mb: number }[];
      };
      if (manifest.scored !== rows) throw new Error(`scored ${manifest.scored} of ${rows} rows`);
      const perCore = rows / seconds / workers;
      figures.runs.push({
        reasons,
        workers,
        seconds: Math.round(seconds * 10) / 10,
        decline_share: Math.round((manifest.declined / rows) * 1000) / 1000,
        rows_per_s: Math.round(rows / seconds),
        rows_per_s_per_core: Math.round(perCore),
        ratio_to_raw_ort_per_core: Math.round((perCore / raw.rows_per_s) * 1000) / 1000,
        worker_peak_rss_mb: Math.max(...manifest.parts.map((p) => p.worker_peak_rss_mb)),
        tree_peak_rss_mb: run.peakTreeRssMb,
      });
      console.log(JSON.stringify(figures.runs.at(-1)));
      await rm(out, { recursive: true, force: true });
    }
  }
  await rm(work, { recursive: true, force: true });
  return figures;
}
