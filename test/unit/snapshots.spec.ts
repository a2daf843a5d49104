import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { LocalFiles } from '../../jobs/tables/local-files.js';
import { joinOutcomes } from '../../jobs/tables/outcome-join.js';
import {
  latestSnapshot,
  partKey,
  SNAPSHOT_COLUMN_NAMES,
  SnapshotPart,
  startingParts,
  writePart,
  writeSnapshotManifest,
} from '../../jobs/tables/snapshots.js';
import { planFrame, writeTrainingFrame } from '../../jobs/tables/training-frame.js';
import { parseCsv } from '../../jobs/retraining/data-rows.js';
import { DATA_ROOTS, tablesPerTest } from '../helpers/data-roots.js';
import { snapshotLine } from '../helpers/snapshots.js';

/*
 * Snapshots as immutable Parquet parts, against a directory and a real S3-compatible server: a snapshot written
 * before parts existed (one data.csv) read as a parent and converted once, its rows known to the outcome join,
 * the manifest listing every part with sha256, rows and months, and the training frame planned from those
 * counts (window of recent months, a cap thinned alike in every month) and read within a local disk budget.
 */
describe.each(DATA_ROOTS)('snapshots on %s', (kind, make) => {
  const t = tablesPerTest(make);

  /** A snapshot as the code before parts wrote it: one data.csv, text as written, and a manifest naming it. */
  async function writeCsvSnapshot(id: string, lines: string[]) {
    await t.root.put(
      `snapshots/${id}/data.csv`,
      Buffer.from([SNAPSHOT_COLUMN_NAMES.join(','), ...lines].join('\n') + '\n'),
    );
    const manifest = { id, created_at: '2026-10-01T00:00:00Z', parent: null, sources: {} };
    const data = { file: `snapshots/${id}/data.csv`, sha256: 'x', rows: lines.length, new_rows: lines.length };
    await t.root.put(`snapshots/${id}/manifest.json`, Buffer.from(JSON.stringify({ ...manifest, data })));
  }

  it('reads a CSV parent snapshot: its rows become one Parquet part of the next snapshot, and its ids are known', async () => {
    await writeCsvSnapshot('20261001T000000Z-csv0001', [
      snapshotLine('old-1', '2026-09-01T00:00:00Z', '1'),
      snapshotLine('old-2', '2026-09-02T10:00:00+02:00', '0', '9999.25'),
      // Written by an initial file without a date: the oldest month.
      snapshotLine('old-3', '', '1'),
      // A value that does not fit its type: left out and counted.
      snapshotLine('old-4', '2026-09-03T00:00:00Z', '1', 'lots'),
    ]);
    const files = new LocalFiles(t.root, t.work);
    const start = await startingParts(t.root, t.engine, files, { snapshotId: '20261101T000000Z-new0001' });
    expect(start.parent?.kind).toBe('csv');
    expect(start.converted).toEqual({
      from: 'snapshots/20261001T000000Z-csv0001/data.csv',
      rows: 4,
      kept: 3,
      left_out_invalid: 1,
    });
    expect(start.parts).toEqual([
      {
        file: 'snapshots/20261101T000000Z-new0001/part-start.parquet',
        sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
        rows: 3,
        months: { '1970-01': 1, '2026-09': 2 },
      },
    ]);
    // The CSV parent is not rewritten; the local copy of it is gone.
    expect((await t.root.get('snapshots/20261001T000000Z-csv0001/data.csv')).toString()).toContain('old-4');
    expect(files.peakBytes > 0).toBe(kind === 's3rver');

    // An outcome for an application of the CSV parent is already known.
    const join = await joinOutcomes(
      t.root,
      t.engine,
      Buffer.from('application_id,loan_paid_back,observed_at\nold-2,1,2026-11-01\nnew-1,1,2026-11-01\n'),
      { knownParts: start.parts.map((p) => p.file), files },
    );
    expect(join.counts).toMatchObject({ rows: 2, already_known: 1, unmatched: 1 });

    // The frame carries the CSV's values, the time in UTC (the +02:00 offset applied, not dropped).
    const frame = path.join(t.work, 'frame.csv');
    await writeTrainingFrame(t.engine, files, start.parts, frame, { months: 24, maxRows: 1e6 });
    const rows = parseCsv(await readFile(frame));
    expect(rows.map((r) => [r.application_id, r.observed_at, r.loan_amount])).toEqual([
      ['old-3', '1970-01-01T00:00:00.000Z', '15000.5'],
      ['old-1', '2026-09-01T00:00:00.000Z', '15000.5'],
      ['old-2', '2026-09-02T08:00:00.000Z', '9999.25'],
    ]);
    expect(Object.keys(rows[0])).toEqual(SNAPSHOT_COLUMN_NAMES);
  });

  it('lists the parent parts and its own in a manifest written last; the latest snapshot is read by its parts', async () => {
    const base = Buffer.from(
      [['application_id', 'annual_income', 'credit_score', 'loan_amount'].join(','), 'no-inputs-here,1,2,3'].join('\n'),
    );
    // A --base file missing columns: nothing fits, nothing is kept, and the run says so.
    const first = await startingParts(t.root, t.engine, new LocalFiles(t.root, t.work), { snapshotId: 's1', base });
    expect(first.converted).toMatchObject({ rows: 1, kept: 0, left_out_invalid: 1 });

    const own = await writePart(
      t.root,
      t.engine,
      `SELECT 'a-' || i AS application_id, 52000.0 AS annual_income, 0.18 AS debt_to_income_ratio,
          702 AS credit_score, 15000.0 AS loan_amount, 11.5 AS interest_rate, 'Female' AS gender,
          'Married' AS marital_status, 'Bachelor''s' AS education_level, 'Employed' AS employment_status,
          'Car' AS loan_purpose, 'B3' AS grade_subgrade, (i % 2)::INTEGER AS loan_paid_back,
          TIMESTAMP '2026-10-01' + INTERVAL (i) HOUR AS observed_at
        FROM range(1000) t(i)`,
      partKey('s2', 'new'),
    );
    const parts: SnapshotPart[] = [...first.parts, own];
    const manifest = await writeSnapshotManifest(t.root, {
      id: 's2',
      created_at: '2026-11-01T00:00:00Z',
      parent: 's1',
      new_rows: 1000,
      parts,
      sources: {},
    });
    expect(manifest.rows).toBe(1000);
    expect(own.months).toEqual({ '2026-10': 744, '2026-11': 256 });
    const latest = await latestSnapshot(t.root);
    expect(latest).toEqual({ kind: 'parts', manifest });
    // The catalog's table reads a snapshot through its symlink manifest: the parts' full URIs.
    expect((await t.root.get('snapshots/s2/symlink/manifest')).toString().trim().split('\n')).toEqual(
      parts.map((p) => `${t.root.location}/${p.file}`),
    );
    // Immutable: the same id is never written twice.
    await expect(writeSnapshotManifest(t.root, { ...manifest, parts: [] })).rejects.toThrow();
  });

  it('plans the frame from the manifest: the recent months, every month thinned by the same share past the cap', async () => {
    // 30 monthly parts of 1,000 rows, like 30 monthly runs.
    const parts: SnapshotPart[] = [];
    for (let m = 0; m < 30; m++) {
      const month = new Date(Date.UTC(2024, m, 15)).toISOString().slice(0, 10);
      parts.push(
        await writePart(
          t.root,
          t.engine,
          `SELECT 'a-${m}-' || i AS application_id, 52000.0 + i AS annual_income, 0.18 AS debt_to_income_ratio,
              702 AS credit_score, 15000.0 AS loan_amount, 11.5 AS interest_rate, 'Female' AS gender,
              'Married' AS marital_status, 'Master''s' AS education_level, 'Employed' AS employment_status,
              'Car' AS loan_purpose, 'B3' AS grade_subgrade, 1 AS loan_paid_back,
              TIMESTAMP '${month}' AS observed_at
            FROM range(1000) t(i)`,
          partKey('s', `m${m}`),
        ),
      );
    }
    expect(planFrame(parts, { months: 24, maxRows: 1e6 })).toMatchObject({ windowRows: 24_000, share: 1 });
    // A budget smaller than one part: one part on disk at a time on S3.
    const files = new LocalFiles(t.root, t.work, 1);
    const frameFile = path.join(t.work, 'frame.csv');
    const frame = await writeTrainingFrame(t.engine, files, parts, frameFile, { months: 24, maxRows: 6_000 });
    expect(frame).toMatchObject({
      snapshot_rows: 30_000,
      window_rows: 24_000,
      kept_share: 0.25,
      first_month: '2024-07',
      last_month: '2026-06',
      parts_read: 24,
    });
    expect(frame.rows).toBeGreaterThan(5_400);
    expect(frame.rows).toBeLessThan(6_600);
    const counts = new Map<string, number>();
    for (const r of parseCsv(await readFile(frameFile)))
      counts.set(r.observed_at.slice(0, 7), (counts.get(r.observed_at.slice(0, 7)) ?? 0) + 1);
    expect(counts.size).toBe(24);
    expect(Math.min(...counts.values())).toBeGreaterThan(180);
    expect(Math.max(...counts.values())).toBeLessThan(320);
    const largest = Math.max(...(await Promise.all(parts.map(async (p) => (await t.root.get(p.file)).length))));
    if (kind === 's3rver') {
      expect(files.peakBytes).toBeGreaterThan(0);
      expect(files.peakBytes).toBeLessThanOrEqual(largest);
    } else expect(files.peakBytes).toBe(0);
    // The same snapshot gives the same frame.
    const again = path.join(t.work, 'again.csv');
    await writeTrainingFrame(t.engine, files, parts, again, { months: 24, maxRows: 6_000 });
    expect(await readFile(again, 'utf8')).toBe(await readFile(frameFile, 'utf8'));
  });
});
