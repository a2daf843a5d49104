import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Engine, openEngine } from '../../jobs/tables/engine.js';
import { writeTrainingFrame } from '../../jobs/tables/training-frame.js';
import { parseCsv, SNAPSHOT_COLUMNS } from '../../jobs/retraining/snapshot-rows.js';

/*
 * The training frame: the most recent months of a snapshot, capped, every month thinned by the same share, text
 * kept as written, through the engine.
 */
let engine: Engine;
let work: string;
beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'frame-'));
  engine = await openEngine({ workDir: work, memoryLimitMb: 256 });
  // 30 months of 1,000 rows, and 500 rows of an initial file with no observation date.
  const lines = [SNAPSHOT_COLUMNS.join(',')];
  const row = (id: string, observed: string) =>
    [
      id,
      '52000',
      '0.18',
      '702',
      '15000.5',
      '11.5',
      'Female',
      'Married',
      "Bachelor's",
      'Employed',
      'Debt consolidation',
      'B3',
      '1',
      observed,
    ].join(',');
  for (let i = 0; i < 500; i++) lines.push(row('', '1970-01-01T00:00:00Z'));
  for (let m = 0; m < 30; m++) {
    const month = new Date(Date.UTC(2024, m, 15)).toISOString();
    for (let i = 0; i < 1000; i++) lines.push(row(`a-${m}-${i}`, month));
  }
  await writeFile(path.join(work, 'snapshot.csv'), lines.join('\n') + '\n');
});
afterAll(async () => {
  engine.close();
  await rm(work, { recursive: true, force: true });
});

const monthsOf = (rows: Record<string, string>[]) => {
  const counts = new Map<string, number>();
  for (const r of rows) counts.set(r.observed_at.slice(0, 7), (counts.get(r.observed_at.slice(0, 7)) ?? 0) + 1);
  return counts;
};

it('keeps the most recent months only, with every column as the snapshot wrote it', async () => {
  const frame = await writeTrainingFrame(engine, path.join(work, 'snapshot.csv'), path.join(work, 'a.csv'), {
    months: 24,
    maxRows: 1e6,
  });
  expect(frame).toMatchObject({
    snapshot_rows: 30_500,
    window_rows: 24_000,
    rows: 24_000,
    kept_share: 1,
    first_month: '2024-07',
    last_month: '2026-06',
  });
  const rows = parseCsv(await readFile(path.join(work, 'a.csv')));
  expect(Object.keys(rows[0])).toEqual([...SNAPSHOT_COLUMNS]);
  expect(rows[0]).toMatchObject({ loan_amount: '15000.5', education_level: "Bachelor's", credit_score: '702' });
  expect([...monthsOf(rows).keys()]).toHaveLength(24);
});

it('thins every month by the same share past the cap, so recent months are not thinned more than old ones', async () => {
  const frame = await writeTrainingFrame(engine, path.join(work, 'snapshot.csv'), path.join(work, 'b.csv'), {
    months: 24,
    maxRows: 6_000,
  });
  expect(frame.kept_share).toBe(0.25);
  expect(frame.rows).toBeGreaterThan(5_400);
  expect(frame.rows).toBeLessThan(6_600);
  const counts = [...monthsOf(parseCsv(await readFile(path.join(work, 'b.csv')))).values()];
  expect(Math.min(...counts)).toBeGreaterThan(180);
  expect(Math.max(...counts)).toBeLessThan(320);
});

it('counts rows of unknown date as the oldest month: kept while the window reaches it', async () => {
  const frame = await writeTrainingFrame(engine, path.join(work, 'snapshot.csv'), path.join(work, 'c.csv'), {
    months: 31,
    maxRows: 1e6,
  });
  expect(frame).toMatchObject({ window_rows: 30_500, first_month: '1970-01' });
});
