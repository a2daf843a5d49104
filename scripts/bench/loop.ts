import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ChunkWriter } from '../../service/src/capture/chunk-writer.js';
import { encodeChunk } from '../../service/src/capture/chunk-json.js';
import { joinParts } from '../../service/src/capture/gzip-members.js';
import { FsBlobStore } from '../../service/src/storage/fs-blob-store.js';
import { VALID_APPLICATION } from '../../test/helpers/applications.js';
import { parseCli, runCli, UsageError } from '../lib/cli.js';

const USAGE =
  "usage: npm run bench:loop -- [--records 1000000] [--months 10] [--out var/bench/loop.json] [--keep] (the monthly data work at a lender's scale)";
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const FILE_RECORDS = 100_000;

const monthStart = (m: number) => Date.UTC(2025, m, 1);
/** The lag, 3 to 12 months, after which an application's outcome arrives: fixed per application. */
const lagOf = (i: number) => 3 + ((Math.imul(i, 2654435761) >>> 0) % 10);

/** Writes month m's records in the service's own log format (gzip JSON lines, dt= partitions, 100k a file). */
async function writeMonth(root: FsBlobStore, m: number, perMonth: number): Promise<void> {
  const days = (monthStart(m + 1) - monthStart(m)) / 86_400_000;
  const perDay = Math.ceil(perMonth / days);
  let written = 0;
  for (let d = 0; d < days && written < perMonth; d++) {
    const dayStart = monthStart(m) + d * 86_400_000;
    const dt = new Date(dayStart).toISOString().slice(0, 10);
    const today = Math.min(perDay, perMonth - written);
    for (let fileFrom = 0; fileFrom < today; fileFrom += FILE_RECORDS) {
      const count = Math.min(FILE_RECORDS, today - fileFrom);
      const parts = [];
      for (let from = 0; from < count; from += 1000) {
        const n = Math.min(1000, count - from);
        const writer = new ChunkWriter(n);
        const first = written + fileFrom + from;
        const answers = Array.from({ length: n }, (_, k) => ({
          prediction_id: `p-${m}-${first + k}`,
          application_id: `a-${m}-${first + k}`,
          probability_of_default: ((first + k) % 97) / 100,
          decision: ((first + k) % 97) / 100 >= 0.3 ? ('decline' as const) : ('approve' as const),
        }));
        writer.append(Array(n).fill(VALID_APPLICATION), answers, 0, n, {
          time: (dayStart + (from * 86_000_000) / Math.max(1, count)) | 0,
          requestId: null,
          modelVersion: '20250101T000000Z-0000000',
          threshold: 0.3,
        });
        parts.push(encodeChunk(writer.take()));
      }
      for (const part of joinParts(parts)) {
        await root.put(
          `predictions/${part.partition}/part-${dt}-${String(fileFrom).padStart(7, '0')}.jsonl.gz`,
          Buffer.from(part.body),
        );
      }
    }
    written += today;
  }
}

/** The outcomes that arrive by the run of month m: applications of month m - lag, for their lag. */
async function writeOutcomes(file: string, m: number, perMonth: number): Promise<number> {
  const lines = ['application_id,loan_paid_back,observed_at'];
  for (let from = m - 12; from <= m - 3; from++) {
    if (from < 0) continue;
    for (let i = 0; i < perMonth; i++) {
      if (from + lagOf(i) !== m) continue;
      lines.push(`a-${from}-${i},${i % 5 === 0 ? 0 : 1},${new Date(monthStart(m) + 3_600_000).toISOString()}`);
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
  const root = new FsBlobStore(dir);
  const rows: Record<string, unknown>[] = [];
  try {
    for (let m = 0; m < months; m++) {
      await writeMonth(root, m, perMonth);
      const outcomes = path.join(dir, `outcomes-${m}.csv`);
      const expected = await writeOutcomes(outcomes, m, perMonth);
      // The run at the start of the next month: every day of month m is closed.
      const asOf = new Date(monthStart(m + 1)).toISOString();
      const child = spawnSync(
        process.execPath,
        ['--import', 'tsx', path.join(ROOT, 'scripts/bench/loop-month.ts'), dir, outcomes, asOf],
        {
          cwd: ROOT,
          encoding: 'utf8',
          maxBuffer: 1 << 24,
        },
      );
      if (child.status !== 0) throw new Error(`month ${m} failed: ${child.stderr.slice(-2000)}`);
      const result = JSON.parse(child.stdout.trim().split('\n').pop()!);
      const o = result.outcomes;
      const reconciles =
        o.matched + o.unmatched + o.duplicate + o.already_known + o.invalid === o.rows && o.rows === expected;
      const row = {
        month: new Date(monthStart(m)).toISOString().slice(0, 7),
        new_records: perMonth,
        records_compacted: result.compacted_rows,
        log_lines_read: result.lines_read,
        outcomes: o.rows,
        outcomes_joined: o.matched,
        reconciles,
        seconds: Number(result.seconds.toFixed(2)),
        peak_rss_mb: result.peak_rss_mb,
      };
      rows.push(row);
      process.stdout.write(`${JSON.stringify(row)}\n`);
    }
  } finally {
    if (values.keep) process.stdout.write(`data root kept at ${dir}\n`);
    else await rm(dir, { recursive: true, force: true });
  }
  const full = rows.filter((r) => (r.outcomes as number) > 0);
  const summary = {
    records,
    months,
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
