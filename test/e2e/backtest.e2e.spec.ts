import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { runBacktest } from '../../jobs/backtesting/run-backtest.js';
import type { PredictionRecord } from '../../service/src/capture/prediction-record.js';
import { FsModelStore } from '../../service/src/model/stores/fs-model-store.js';
import type { BlobStore } from '../../service/src/storage/blob-store.js';
import { FsBlobStore } from '../../service/src/storage/fs-blob-store.js';
import { S3BlobStore } from '../../service/src/storage/s3-blob-store.js';
import { randomApplications, seededRandom } from '../helpers/applications.js';
import { runJob } from '../helpers/cli.js';
import { startS3Server } from '../helpers/s3-server.js';

/*
 * npm run backtest on a prediction log written by two versions: one whose probabilities are the applicants' true
 * probabilities of default, one whose are 30% too low (same ranking). Outcomes come back for approved applications
 * only, some after the as-of date. The honest version has no red grade; the other is red in the grades that hold
 * most defaults, the job exits 3, and each backtest says what share of its applications had an outcome and that
 * the declined are absent. The same tables on s3rver give the same figures.
 */
const NAME = 'loan-default';
const HONEST = '20261001T000000Z-aaaaaaa';
const LOW = '20261001T000000Z-bbbbbbb';
const SCALE = { grades: [0.05, 0.1, 0.15, 0.2, 0.3, 1].map((upper, i) => ({ grade: `R${i + 1}`, upper })) };
const PER_VERSION = 4_000;
const THRESHOLD = 0.35;

let dir: string;
let expected: Record<string, { applications: number; declined: number; matured: number }>;

/** The log (one file per version and day), the outcomes and a store holding both versions' manifests. */
async function writeData(root: BlobStore, storeDir: string) {
  const store = new FsBlobStore(storeDir);
  const next = seededRandom(99);
  const outcomes = ['application_id,loan_paid_back,observed_at'];
  expected = {};
  for (const [version, factor, master_scale] of [
    [HONEST, 1, SCALE],
    [LOW, 0.7, undefined],
  ] as const) {
    await store.put(
      `${NAME}/versions/${version}/manifest.json`,
      Buffer.from(JSON.stringify({ name: NAME, version, metrics: { roc_auc: 0.7 }, master_scale })),
    );
    const counts = { applications: 0, declined: 0, matured: 0 };
    const applications = randomApplications(PER_VERSION, version === HONEST ? 3 : 4);
    const records: PredictionRecord[] = applications.map((inputs, i) => {
      const truth = 0.01 + next() ** 1.6 * 0.5;
      const probability = truth * factor;
      const decision = probability >= THRESHOLD ? 'decline' : 'approve';
      counts.applications++;
      if (decision === 'decline') counts.declined++;
      else {
        // Outcomes only for approved loans; one in ten observed after the as-of date.
        const late = next() < 0.1;
        if (!late) counts.matured++;
        outcomes.push(
          `${version}-${i},${next() < truth ? 0 : 1},${late ? '2027-09-01T00:00:00Z' : '2027-05-01T00:00:00Z'}`,
        );
      }
      return {
        prediction_id: `p-${version}-${i}`,
        application_id: `${version}-${i}`,
        inputs,
        probability_of_default: probability,
        decision,
        threshold: THRESHOLD,
        model_version: version,
        timestamp: new Date(Date.UTC(2026, 10, 1 + (i % 20), 9)).toISOString(),
        request_id: null,
      };
    });
    for (let day = 0; day < 20; day++) {
      const lines = records.filter((_, i) => i % 20 === day).map((r) => JSON.stringify(r) + '\n');
      const dt = new Date(Date.UTC(2026, 10, 1 + day)).toISOString().slice(0, 10);
      await root.put(`predictions/dt=${dt}/part-${version}.jsonl.gz`, gzipSync(lines.join('')));
    }
    expected[version] = counts;
  }
  return Buffer.from(outcomes.join('\n') + '\n');
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'backtest-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function checkReport(report: {
  outcomes: { not_matured: number };
  versions: {
    version: string;
    scale: string;
    backtest: { count: number; worst_light: string; red_grades: string[]; grades: { count: number }[] };
    coverage: { applications: number; declined: number; with_outcome: number; statement: string };
  }[];
}) {
  const byVersion = Object.fromEntries(report.versions.map((v) => [v.version, v]));
  for (const version of [HONEST, LOW]) {
    const judged = byVersion[version];
    expect(judged.backtest.count).toBe(expected[version].matured);
    expect(judged.backtest.grades.reduce((n, g) => n + g.count, 0)).toBe(expected[version].matured);
    expect(judged.coverage).toMatchObject({
      applications: expected[version].applications,
      declined: expected[version].declined,
      with_outcome: expected[version].matured,
    });
    expect(judged.coverage.statement).toContain(`the ${expected[version].declined} declined applications are absent`);
  }
  expect(report.outcomes.not_matured).toBe(
    Object.values(expected).reduce((n, c) => n + c.applications - c.declined - c.matured, 0),
  );
  expect(byVersion[HONEST].scale).toBe('own');
  expect(byVersion[HONEST].backtest.worst_light).not.toBe('red');
  // A version before master scales is judged on the default scale, and its 30% too low promise is red.
  expect(byVersion[LOW].scale).toBe('default');
  expect(byVersion[LOW].backtest.worst_light).toBe('red');
  expect(byVersion[LOW].backtest.red_grades.length).toBeGreaterThan(0);
}

it('judges each version on the matured outcomes of the applications it decided, and exits 3 on a red grade', async () => {
  const root = new FsBlobStore(path.join(dir, 'data'));
  const outcomes = await writeData(root, path.join(dir, 'store'));
  await root.put('outcomes.csv', outcomes);
  /** npm run backtest over this data root, as of 2027-06-01. */
  const backtestCli = (extra: string[] = []) =>
    runJob('backtest.ts', [
      ...['--store', path.join(dir, 'store'), '--data-root', path.join(dir, 'data')],
      ...['--outcomes', path.join(dir, 'data/outcomes.csv'), '--as-of', '2027-06-01', ...extra],
    ]);
  const run = await backtestCli();
  expect(run.code).toBe(3);
  const [runId] = await readdir(path.join(dir, 'data/backtests'));
  const report = JSON.parse(await readFile(path.join(dir, 'data/backtests', runId, 'report.json'), 'utf8'));
  checkReport(report);
  const page = await readFile(path.join(dir, 'data/backtests', runId, 'report.html'), 'utf8');
  expect(page).toContain('Jeffreys p');
  expect(page).toContain('<svg');
  expect(page).toContain('declined applications are absent');
  // Restricted to the honest version: nothing red, exit 0.
  const honest = await backtestCli(['--version', HONEST]);
  expect(honest.code).toBe(0);
  expect(
    JSON.parse(honest.stdout.trim().split('\n').pop()!).versions.map((v: { version: string }) => v.version),
  ).toEqual([HONEST]);
  const bad = await runJob('backtest.ts', ['--store', 'x', '--data-root', 'y', '--outcomes', 'z', '--as-of', 'soon']);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toContain("--as-of must be a date, got 'soon'");
});

it('reads the same tables on s3rver and gives the same figures', async () => {
  const s3 = await startS3Server();
  try {
    await s3.createBucket('data');
    const root = new S3BlobStore('s3://data/root', s3.client);
    const outcomes = await writeData(root, path.join(dir, 'store-s3'));
    const report = await runBacktest({
      store: new FsModelStore(path.join(dir, 'store-s3')),
      dataRoot: root,
      outcomes,
      name: NAME,
      asOf: new Date('2027-06-01'),
    });
    checkReport(report);
    expect((await root.list('backtests/')).filter((k) => k.endsWith('report.html'))).toHaveLength(1);
  } finally {
    await s3.dispose();
  }
});
