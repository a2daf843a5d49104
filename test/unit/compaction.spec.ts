import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { BlobStore } from '../../service/src/storage/blob-store.js';
import { committedParts, compact } from '../../jobs/tables/compaction.js';
import { readParquet } from '../../jobs/tables/engine.js';
import { LocalFiles } from '../../jobs/tables/local-files.js';
import { joinOutcomes, matchedRows } from '../../jobs/tables/outcome-join.js';
import { csvAsPartRows, partKey, SNAPSHOT_COLUMN_NAMES, writePart } from '../../jobs/tables/snapshots.js';
import { snapshotLine } from '../helpers/snapshots.js';
import { VALID_APPLICATION } from '../helpers/applications.js';
import { DATA_ROOTS, tablesPerTest } from '../helpers/data-roots.js';

/*
 * Compaction of the prediction log into the applications table, against a directory and a real S3-compatible
 * server: one row per application per day (its latest answer), bad data counted by kind and the rest kept,
 * every line read accounted for, open days left alone, and a run killed mid-way finished by the next with every
 * record once.
 */
const record = (applicationId: string | null, timestamp: string, probability: number, n: number) => ({
  prediction_id: `p-${n}`,
  application_id: applicationId,
  inputs: VALID_APPLICATION,
  probability_of_default: probability,
  decision: probability >= 0.3 ? 'decline' : 'approve',
  threshold: 0.3,
  model_version: '20261126T234937Z-9dc2709',
  timestamp,
  request_id: `r-${n}`,
});
const gz = (lines: string[]) => gzipSync(lines.map((l) => `${l}\n`).join(''));

/** A log of three closed days and today's, with every kind of damage the loop must survive. */
async function writeLog(root: BlobStore) {
  let n = 0;
  const day = (d: string, apps: number, from = 0) =>
    Array.from({ length: apps }, (_, i) =>
      JSON.stringify(record(`app-${d}-${from + i}`, `${d}T10:00:00.000Z`, 0.1, n++)),
    );
  await root.put('predictions/dt=2026-11-01/part-a.jsonl.gz', gz(day('2026-11-01', 100)));
  // The same applications answered again later that day: only the latest answer is kept.
  await root.put(
    'predictions/dt=2026-11-01/part-b.jsonl.gz',
    gz(
      Array.from({ length: 10 }, (_, i) =>
        JSON.stringify(record(`app-2026-11-01-${i}`, '2026-11-01T12:00:00.000Z', 0.9, n++)),
      ),
    ),
  );
  // A file cut short by a killed process: its whole lines count, the cut one is rejected.
  const whole = gz(day('2026-11-02', 50));
  await root.put('predictions/dt=2026-11-02/part-a.jsonl.gz', whole.subarray(0, Math.floor(whole.length * 0.6)));
  // Malformed lines, a record missing fields, a record without an application id.
  const bad = [
    ...day('2026-11-03', 20),
    '{not json',
    JSON.stringify({ prediction_id: 'x', timestamp: '2026-11-03T00:00:00Z' }),
  ];
  bad.push(JSON.stringify(record(null, '2026-11-03T11:00:00.000Z', 0.2, n++)));
  await root.put('predictions/dt=2026-11-03/part-a.jsonl.gz', gz(bad));
  // Today: still being written.
  await root.put('predictions/dt=2026-11-04/part-a.jsonl.gz', gz(day('2026-11-04', 5)));
}

const AS_OF = new Date('2026-11-04T08:00:00Z');

describe.each(DATA_ROOTS)('compaction on %s', (_kind, make) => {
  const t = tablesPerTest(make, writeLog);

  /** Every committed row, by application: how often it appears and its probability. */
  async function table() {
    const files = new LocalFiles(t.root, t.work);
    const paths = await Promise.all((await committedParts(t.root)).map((k) => files.pathOf(k)));
    if (paths.length === 0) return [];
    return (
      await t.engine.connection.runAndReadAll(
        `SELECT application_id, count(*)::INTEGER AS n, max(probability_of_default) AS p FROM ${readParquet(paths)} GROUP BY 1`,
      )
    ).getRowObjects() as { application_id: string; n: number; p: number }[];
  }

  it('keeps the latest answer of each application of each closed day, and accounts for every line', async () => {
    const report = await compact(t.root, t.engine, { asOf: AS_OF });
    expect(report.days_compacted).toEqual(['2026-11-01', '2026-11-02', '2026-11-03']);
    expect(report.days_open).toBe(1);
    const rows = await table();
    expect(rows.every((r) => r.n === 1)).toBe(true);
    const first = rows.filter((r) => r.application_id.startsWith('app-2026-11-01-'));
    expect(first).toHaveLength(100);
    expect(first.filter((r) => r.p === 0.9)).toHaveLength(10);
    // Reconciliation: every line read is written, superseded, without an id, or rejected by kind.
    const rejected = Object.values(report.rejected).reduce((a, b) => a + b, 0);
    expect(report.rows_written + report.superseded + report.without_application_id + rejected).toBe(report.lines_read);
    expect(report.rows_written).toBe(rows.length);
    expect(report.superseded).toBe(10);
    expect(report.without_application_id).toBe(1);
    expect(report.rejected.malformed_line).toBe(1);
    expect(report.rejected.missing_fields).toBe(1);
    expect(report.truncated_files).toBe(1);
    expect(report.rejected.truncated_line).toBe(1);
    const truncatedDay = rows.filter((r) => r.application_id.startsWith('app-2026-11-02-')).length;
    expect(truncatedDay).toBeGreaterThan(10);
    expect(truncatedDay).toBeLessThan(50);
    expect(report.examples.some((e) => /dt=2026-11-03\/part-a\.jsonl\.gz line 21: malformed_line/.test(e))).toBe(true);
  });

  it('never reads a compacted file again: a second run does nothing; a late file of a closed day gets its own part', async () => {
    await compact(t.root, t.engine, { asOf: AS_OF });
    expect((await compact(t.root, t.engine, { asOf: AS_OF })).files).toBe(0);
    await t.root.put(
      'predictions/dt=2026-11-02/part-late.jsonl.gz',
      gz([JSON.stringify(record('late-1', '2026-11-02T23:00:00.000Z', 0.5, 999))]),
    );
    const late = await compact(t.root, t.engine, { asOf: AS_OF });
    expect([late.files, late.rows_written, late.days_compacted]).toEqual([1, 1, ['2026-11-02']]);
  });

  it('finishes a run killed between a part and its ledger entry: every record once', async () => {
    // The store fails the second ledger write, as a process killed after writing that day's part would.
    let ledgerWrites = 0;
    const crashing: BlobStore = Object.create(t.root, {
      put: {
        value: async (key: string, bytes: Buffer, options?: object) => {
          if (key.includes('/_ledger/') && ++ledgerWrites === 2) throw new Error('killed');
          return t.root.put(key, bytes, options as never);
        },
      },
    });
    await expect(compact(crashing, t.engine, { asOf: AS_OF })).rejects.toThrow('killed');
    const resumed = await compact(t.root, t.engine, { asOf: AS_OF });
    expect(resumed.days_compacted).toEqual(['2026-11-02', '2026-11-03']);
    const rows = await table();
    expect(rows.every((r) => r.n === 1)).toBe(true);
    expect(rows.filter((r) => r.application_id.startsWith('app-2026-11-01-'))).toHaveLength(100);
    expect(rows.filter((r) => r.application_id.startsWith('app-2026-11-03-'))).toHaveLength(20);
  });

  it('joins outcomes to the table and sorts every row into matched, unmatched, duplicate, already known or invalid', async () => {
    await compact(t.root, t.engine, { asOf: AS_OF });
    const csv = [
      'application_id,loan_paid_back,observed_at,extra_column',
      'app-2026-11-01-0,1,2027-03-01T00:00:00Z,x',
      'app-2026-11-01-1,0,2027-03-02,x',
      'app-2026-11-03-4,0,2027-03-02,x',
      'app-2026-11-01-1,1,2027-03-05,x',
      'never-scored,1,2027-03-01,x',
      'app-2026-11-01-2,1,2027-03-01,x',
      'app-2026-11-01-3,2,2027-03-01,x',
      'app-2026-11-01-4,1,not a date,x',
      ',1,2027-03-01,x',
    ].join('\n');
    // A parent snapshot that holds app-2026-11-01-2 already.
    const parentCsv = path.join(t.work, 'parent.csv');
    await writeFile(parentCsv, `${SNAPSHOT_COLUMN_NAMES.join(',')}\n${snapshotLine('app-2026-11-01-2')}\n`);
    const parent = await writePart(
      t.root,
      t.engine,
      await csvAsPartRows(t.engine, parentCsv),
      partKey('parent', 'start'),
    );
    const join = await joinOutcomes(t.root, t.engine, Buffer.from(csv), { knownParts: [parent.file] });
    expect(join.counts).toEqual({ rows: 9, matched: 3, unmatched: 1, duplicate: 1, already_known: 1, invalid: 3 });
    const { matched, unmatched, duplicate, already_known, invalid } = join.counts;
    expect(matched + unmatched + duplicate + already_known + invalid).toBe(join.counts.rows);
    expect(join.examples).toEqual([
      "line 8: loan_paid_back must be 0 or 1, got '2'",
      "line 9: observed_at 'not a date' is not a date",
      'line 10: application_id is empty',
    ]);
    // Matched rows carry the application's latest answer and its inputs, in the file's order.
    const rows = await matchedRows(t.engine);
    expect(rows.map((r) => [r.application_id, r.loan_paid_back, r.probability_of_default, r.credit_score])).toEqual([
      ['app-2026-11-01-0', 1, 0.9, VALID_APPLICATION.credit_score],
      ['app-2026-11-01-1', 0, 0.9, VALID_APPLICATION.credit_score],
      ['app-2026-11-03-4', 0, 0.1, VALID_APPLICATION.credit_score],
    ]);
    expect(rows[0].observed_at).toBe('2027-03-01T00:00:00.000Z');
  });
});
