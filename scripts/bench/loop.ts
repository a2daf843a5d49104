import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCsv, toApplication } from '../../jobs/retraining/data-rows.js';
import { writePredictionLog } from '../../jobs/simulation/prediction-log-files.js';
import { startStore } from '../../jobs/simulation/start-store.js';
import type { LoanApplication } from '../../service/src/contract/loan-application.contract.js';
import { FsBlobStore } from '../../service/src/storage/fs-blob-store.js';
import { parseCli, runCli, UsageError } from '../lib/cli.js';
import { runTraining } from '../lib/python.js';
import { runMeasured } from './process-tree-rss.js';

const USAGE =
  "usage: npm run bench:loop -- [--records 1000000] [--months 10] [--out var/bench/loop.json] [--keep] (the monthly loop at a lender's scale, Python's training included)";
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const FILE_RECORDS = 100_000;
/** Applications from the synthetic generator, reused in turn: the model trains on real structure, not copies. */
const POOL_ROWS = 200_000;

interface Pool {
  applications: LoanApplication[];
  /** 1 paid back, 0 defaulted: the outcome each application's loan will have. */
  paidBack: number[];
}

async function makePool(dir: string): Promise<Pool> {
  const file = path.join(dir, 'pool.csv');
  await runTraining(['generate', '--rows', String(POOL_ROWS), '--seed', '7', '--out', file]);
  const rows = parseCsv(await readFile(file));
  return { applications: rows.map(toApplication), paidBack: rows.map((r) => Number(r.loan_paid_back)) };
}

const monthStart = (m: number) => Date.UTC(2025, m, 1);
/** The lag, 3 to 12 months, after which an application's outcome arrives: fixed per application. */
const lagOf = (i: number) => 3 + ((Math.imul(i, 2654435761) >>> 0) % 10);

/** Writes month m's records in the service's own log format (gzip JSON lines, dt= partitions, 100k a file). */
async function writeMonth(root: FsBlobStore, pool: Pool, m: number, perMonth: number): Promise<void> {
  const days = (monthStart(m + 1) - monthStart(m)) / 86_400_000;
  const perDay = Math.ceil(perMonth / days);
  let written = 0;
  for (let d = 0; d < days && written < perMonth; d++) {
    const dayStart = monthStart(m) + d * 86_400_000;
    const dt = new Date(dayStart).toISOString().slice(0, 10);
    const today = Math.min(perDay, perMonth - written);
    for (let fileFrom = 0; fileFrom < today; fileFrom += FILE_RECORDS) {
      const count = Math.min(FILE_RECORDS, today - fileFrom);
      const first = written + fileFrom;
      const answers = Array.from({ length: count }, (_, k) => ({
        prediction_id: `p-${m}-${first + k}`,
        application_id: `a-${m}-${first + k}`,
        probability_of_default: ((first + k) % 97) / 100,
        decision: ((first + k) % 97) / 100 >= 0.3 ? ('decline' as const) : ('approve' as const),
      }));
      const applications = answers.map((_, k) => pool.applications[poolIndex(m, perMonth, first + k)]);
      // A request of 1,000 records every 86,000 s / count through the day.
      const groups = Array.from({ length: Math.ceil(count / 1000) }, (_, b) => ({
        time: (dayStart + (b * 1000 * 86_000_000) / Math.max(1, count)) | 0,
        requestId: null,
        modelVersion: '20250101T000000Z-0000000',
        threshold: 0.3,
      }));
      await writePredictionLog(
        root,
        `${dt}-${String(fileFrom).padStart(7, '0')}`,
        applications,
        answers,
        (row) => groups[Math.floor(row / 1000)],
      );
    }
    written += today;
  }
}

/** Which pool application the i-th record of month m carries. */
const poolIndex = (m: number, perMonth: number, i: number) => (m * perMonth + i) % POOL_ROWS;

/** The outcomes that arrive by the run of month m: applications of month m - lag, for their lag. */
async function writeOutcomes(file: string, pool: Pool, m: number, perMonth: number): Promise<number> {
  const lines = ['application_id,loan_paid_back,observed_at'];
  for (let from = m - 12; from <= m - 3; from++) {
    if (from < 0) continue;
    for (let i = 0; i < perMonth; i++) {
      if (from + lagOf(i) !== m) continue;
      const paidBack = pool.paidBack[poolIndex(from, perMonth, i)];
      lines.push(`a-${from}-${i},${paidBack},${new Date(monthStart(m) + 3_600_000).toISOString()}`);
    }
  }
  await writeFile(file, lines.join('\n') + '\n');
  return lines.length - 1;
}

runCli(USAGE, async () => {
  const { values } = parseCli(USAGE, {
    records: { type: 'string', default: '1000000' },
    months: { type: 'string', default: '10' },
    out: { type: 'string', default: 'var/bench/loop.json' },
    keep: { type: 'boolean' },
  });
  const records = Number(values.records);
  const months = Number(values.months);
  if (!(records > 0 && months > 0 && Number.isInteger(months)))
    throw new UsageError('--records and --months must be positive');
  const perMonth = Math.floor(records / months);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'bench-loop-'));
  const root = new FsBlobStore(path.join(dir, 'data'));
  const rows: Record<string, unknown>[] = [];
  try {
    const pool = await makePool(dir);
    const store = (await startStore(dir, 50_000, 8)).location;
    for (let m = 0; m < months; m++) {
      await writeMonth(root, pool, m, perMonth);
      const outcomes = path.join(dir, `outcomes-${m}.csv`);
      const expected = await writeOutcomes(outcomes, pool, m, perMonth);
      // The run at the start of the next month: every day of month m is closed.
      const asOf = new Date(monthStart(m + 1)).toISOString();
      const child = await runMeasured(
        process.execPath,
        ['--import', 'tsx', path.join(ROOT, 'scripts/bench/loop-month.ts'), root.location, store, outcomes, asOf],
        { cwd: ROOT },
      );
      if (child.code !== 0) throw new Error(`month ${m} failed: ${child.stderr.slice(-2000)}`);
      const lines = child.stdout.trim().split('\n');
      const result = JSON.parse(lines.pop()!);
      // The job's own memory at each of its steps (its log lines carry rss_mb).
      const rssByStep: Record<string, number> = {};
      for (const line of lines) {
        const logged = JSON.parse(line) as { message?: string; rss_mb?: number };
        if (logged.message && logged.rss_mb !== undefined) rssByStep[logged.message] = logged.rss_mb;
      }
      const o = result.join ?? { rows: 0, matched: 0, unmatched: 0, duplicate: 0, already_known: 0, invalid: 0 };
      const outcomeRows = o.outcomes ?? 0;
      const reconciles =
        o.matched + o.unmatched + o.duplicate + o.already_known + o.invalid === outcomeRows &&
        outcomeRows === expected &&
        result.compaction.lines_read ===
          result.compaction.rows_written +
            result.compaction.superseded +
            result.compaction.without_application_id +
            Object.values(result.compaction.rejected as Record<string, number>).reduce((a, b) => a + b, 0);
      const row = {
        month: new Date(monthStart(m)).toISOString().slice(0, 7),
        new_records: perMonth,
        records_compacted: result.compaction.rows_written,
        outcomes: outcomeRows,
        outcomes_joined: o.matched,
        snapshot_rows: result.snapshot_rows ?? 0,
        training_rows: result.training_frame?.rows ?? 0,
        status: result.status,
        reasons: result.reasons,
        reconciles,
        seconds: Number(result.seconds.toFixed(2)),
        node_peak_rss_mb: result.node_peak_rss_mb,
        peak_rss_mb: child.peakTreeRssMb,
        rss_by_step_mb: rssByStep,
      };
      rows.push(row);
      process.stdout.write(`${JSON.stringify(row)}\n`);
    }
  } finally {
    if (values.keep) process.stdout.write(`data root kept at ${dir}\n`);
    else await rm(dir, { recursive: true, force: true });
  }
  // A full month: outcomes of every lag (3 to 12 months) arrive, as many as the month's new records.
  const full = rows.filter((r) => (r.outcomes as number) >= 0.95 * (r.new_records as number));
  const summary = {
    records,
    months,
    /** The job's processes together (Node and the Python it starts), sampled from /proc. */
    peak_rss_mb: Math.max(...rows.map((r) => r.peak_rss_mb as number)),
    first_full_month_s: full[0]?.seconds ?? null,
    last_month_s: rows[rows.length - 1].seconds,
    every_month_reconciles: rows.every((r) => r.reconciles),
  };
  process.stdout.write(`summary ${JSON.stringify(summary)}\n`);
  await mkdir(path.dirname(path.resolve(ROOT, String(values.out))), { recursive: true });
  await writeFile(path.resolve(ROOT, String(values.out)), JSON.stringify({ summary, months: rows }, null, 2) + '\n');
  return 0;
});
