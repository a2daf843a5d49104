import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { findPython, runTraining } from '../../scripts/lib/python.js';
import { pythonTrainer } from '../../jobs/retraining/python-trainer.js';
import { retrain } from '../../jobs/retraining/retrain.js';
import { createJsonLineLogger } from '../../service/src/logging/logger.js';
import { FsBlobStore } from '../../service/src/storage/fs-blob-store.js';
import { ROOT } from '../helpers/paths.js';
import { promote, publishVerified, readArtifactDir } from '../../service/src/model/channels.js';
import { FsModelStore } from '../../service/src/model/stores/fs-model-store.js';
import { parseCsv, toApplication } from '../../jobs/retraining/data-rows.js';
import { runJob } from '../helpers/cli.js';
import { postJson, startService } from '../helpers/service-process.js';

/*
 * The monthly loop end to end on generated data: the real service captures predictions, outcomes arrive
 * later, `npm run retrain` builds a snapshot, trains, compares with production on the most recent slice and
 * promotes a good candidate; a candidate trained on shuffled labels is rejected and production stays.
 */
const NAME = 'loan-default';
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'retrain-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A store whose production model is trained on `base`, and a data root whose predictions/ the service fills. */
async function setUp(
  name: string,
  baseRows: number,
  shuffleBase: boolean,
  skew: (row: Record<string, string>) => Record<string, string> = (r) => r,
) {
  const root = path.join(dir, name);
  const base = path.join(root, 'base.csv');
  await runTraining(['generate', '--rows', String(baseRows), '--seed', '41', '--out', base]);
  const production = path.join(root, 'production-model');
  await runTraining(['train', '--data', base, '--out', production, '--search-seconds', '0']);
  const store = new FsModelStore(path.join(root, 'store'));
  const manifest = await publishVerified(store, await readArtifactDir(production));
  await promote(store, NAME, 'production', manifest.version);
  if (shuffleBase) {
    const rows = (await readFile(base, 'utf8')).trim().split('\n');
    const header = rows[0].split(',');
    const label = header.indexOf('loan_paid_back');
    const labels = rows.slice(1).map((r) => r.split(',')[label]);
    for (let i = labels.length - 1; i > 0; i--) {
      const j = (i * 7919 + 13) % (i + 1);
      [labels[i], labels[j]] = [labels[j], labels[i]];
    }
    const shuffled = rows.slice(1).map((r, i) =>
      r
        .split(',')
        .map((v, k) => (k === label ? labels[i] : v))
        .join(','),
    );
    await writeFile(base, [rows[0], ...shuffled].join('\n') + '\n');
  }

  // This month's applications go through the real service, which captures them.
  const fresh = path.join(root, 'fresh.csv');
  await runTraining(['generate', '--rows', '2000', '--seed', '42', '--out', fresh]);
  const rows = parseCsv(await readFile(fresh)).map(skew);
  const service = await startService({
    MODEL_STORE: store.location,
    PREDICTION_LOG: path.join(root, 'data/predictions'),
    CAPTURE_FLUSH_MS: '100',
  });
  try {
    for (let i = 0; i < rows.length; i += 1000) {
      const applications = rows
        .slice(i, i + 1000)
        .map((r) => ({ ...toApplication(r), application_id: r.application_id }));
      expect((await postJson(`${service.url}/predict/batch`, { applications })).status).toBe(200);
    }
  } finally {
    expect(await service.stop()).toBe('SIGTERM');
  }
  // Outcomes observed later, one day apart, in order.
  const outcomes = ['application_id,loan_paid_back,observed_at'];
  rows.forEach((r, i) =>
    outcomes.push(
      `${r.application_id},${r.loan_paid_back},${new Date(Date.UTC(2026, 9, 1) + i * 3_600_000).toISOString()}`,
    ),
  );
  outcomes.push('app-unknown-1,1,2026-10-02T00:00:00Z');
  await writeFile(path.join(root, 'outcomes.csv'), outcomes.join('\n') + '\n');
  return { root, store, base, production: manifest.version };
}

/**
 * npm run retrain over a set-up store and data root, with the gate used in these tests; without the hyperparameter
 * search (one test turns it on) so that the candidates are the same on any machine.
 */
function runRetrain(root: string, store: string, base: string, extra: string[] = []) {
  return runJob('retrain.ts', [
    '--store',
    store,
    '--data-root',
    path.join(root, 'data'),
    '--outcomes',
    path.join(root, 'outcomes.csv'),
    '--base',
    base,
    '--min-auc',
    '0.75',
    '--max-drop',
    '0.02',
    '--search-seconds',
    '0',
    ...extra,
  ]);
}

async function reportOf(root: string) {
  const runs = await readdir(path.join(root, 'data/retraining'));
  expect(runs).toHaveLength(1);
  const report = JSON.parse(await readFile(path.join(root, 'data/retraining', runs[0], 'report.json'), 'utf8'));
  const page = await readFile(path.join(root, 'data/retraining', runs[0], 'report.html'), 'utf8');
  expect(page).toContain(`<em>${report.status}</em>`);
  return report;
}

it('promotes a good candidate and records why', async () => {
  const { root, store, base, production } = await setUp('good', 8000, false);
  const run = await runRetrain(root, store.location, base, ['--search-seconds', '60']);
  expect(run.code).toBe(0);
  const report = await reportOf(root);
  console.log(
    `promote report: ${JSON.stringify({ status: report.status, reasons: report.reasons, candidate: report.candidate.roc_auc, production: report.production.roc_auc, snapshot: report.snapshot, join: report.join })}`,
  );
  expect(report.status).toBe('promoted');
  expect(report.join).toMatchObject({ outcomes: 2001, matched: 2000, unmatched: 1 });
  expect(report.snapshot).toMatchObject({ rows: 10000, new_rows: 2000, parent: null });
  expect(report.evaluation.rows).toBe(2000);
  expect(report.production.version).toBe(production);
  for (const groups of Object.values(report.candidate.fairness) as Record<string, { status: string }>[]) {
    for (const figures of Object.values(groups)) expect(figures.status).not.toBe('below_four_fifths');
  }
  const pointer = await store.readChannel(NAME, 'production');
  expect(pointer).toMatchObject({ version: report.promoted_version, previous: production });
  // The snapshot is immutable data with its manifest.
  const snapshotManifest = JSON.parse(
    await readFile(path.join(root, 'data/snapshots', report.snapshot.id, 'manifest.json'), 'utf8'),
  );
  expect(snapshotManifest).toMatchObject({ rows: 10000, new_rows: 2000, parent: null });
  // The --base file became the snapshot's first part, the month's matches its second; each part's sha256 holds.
  expect(snapshotManifest.parts.map((p: { rows: number }) => p.rows)).toEqual([8000, 2000]);
  for (const part of snapshotManifest.parts)
    expect(
      createHash('sha256')
        .update(await readFile(path.join(root, 'data', part.file)))
        .digest('hex'),
    ).toBe(part.sha256);
  expect(snapshotManifest.parts[1].sha256).toBe(report.snapshot.sha256);
  // The promoted version's manifest says which rows of the snapshot it was trained on.
  const promoted = JSON.parse(
    (await store.readVersionFile(NAME, report.promoted_version, 'manifest.json')).toString('utf8'),
  );
  expect(promoted.training_data.uri).toBe(`${path.join(root, 'data')}/snapshots/${report.snapshot.id}/manifest.json`);
  expect(promoted.training_data.frame).toEqual({ snapshot: report.snapshot.id, ...report.training_frame });
  expect(promoted.training_data.rows).toBe(report.training_frame.rows);
  // Its hyperparameters were chosen by the search on its training rows, and the model was fitted with them.
  const search = promoted.model.search;
  expect(search.trials.length).toBeGreaterThanOrEqual(1);
  expect(search.trials[0].params).toEqual({
    learning_rate: 0.1,
    max_leaf_nodes: 8,
    min_samples_leaf: 40,
    l2_regularization: 1,
  });
  const best = [...search.trials].sort((a, b) => a.cv_log_loss - b.cv_log_loss)[0];
  expect(search.chosen).toEqual(best.params);
  for (const [name, value] of Object.entries(search.chosen)) expect(promoted.model.params[name]).toBe(value);
});

it('with --stage shadow puts a candidate that passes on the shadow channel and leaves production where it was', async () => {
  const { root, store, base, production } = await setUp('staged', 8000, false);
  const run = await runRetrain(root, store.location, base, ['--stage', 'shadow']);
  expect(run.code).toBe(0);
  const report = await reportOf(root);
  expect(report).toMatchObject({ status: 'shadowed', stage: 'shadow', promoted_version: null });
  expect((await store.readChannel(NAME, 'shadow'))?.version).toBe(report.shadow_version);
  expect((await store.readChannel(NAME, 'production'))!.version).toBe(production);
  expect(await store.listVersions(NAME)).toContain(report.shadow_version);
});

it('rejects a candidate trained on shuffled labels and leaves production unchanged', async () => {
  const { root, store, base, production } = await setUp('shuffled', 8000, true);
  const run = await runRetrain(root, store.location, base);
  expect(run.code).toBe(3);
  const report = await reportOf(root);
  console.log(
    `reject report: ${JSON.stringify({ status: report.status, reasons: report.reasons, candidate: report.candidate.roc_auc, production: report.production.roc_auc })}`,
  );
  expect(report.status).toBe('rejected');
  expect(report.candidate.roc_auc).toBeLessThan(report.production.roc_auc - 0.02);
  expect((await store.readChannel(NAME, 'production'))!.version).toBe(production);
  expect(await store.listVersions(NAME)).toEqual([production]);
});

it('rejects a candidate whose decisions fail the four-fifths rule for a group, and the report names the group', async () => {
  // Biased on purpose: this month's male applicants arrive with the worst grade and no employment, a proxy the
  // model declines, so their approval rate falls far below the other groups'.
  const { root, store, base, production } = await setUp('biased', 8000, false, (r) =>
    r.gender === 'Male' ? { ...r, employment_status: 'Unemployed', grade_subgrade: 'G5' } : r,
  );
  const run = await runRetrain(root, store.location, base);
  expect(run.code).toBe(3);
  const report = await reportOf(root);
  expect(report.status).toBe('rejected');
  expect(report.thresholds.min_air).toBe(0.8);
  expect(report.candidate.fairness.gender.Male.adverse_impact_ratio).toBeLessThan(0.8);
  expect(report.reasons.join(' ')).toMatch(/adverse impact ratio for gender=Male is 0\.\d+/);
  expect(report.candidate.fairness.gender.Female.status).toBe('ok');
  expect((await store.readChannel(NAME, 'production'))!.version).toBe(production);
});

it('fails clearly, with exit code 1, when there is nothing to start from', async () => {
  const empty = path.join(dir, 'empty');
  await writeFile(path.join(dir, 'outcomes-only.csv'), 'application_id,loan_paid_back,observed_at\na,1,2026-01-01\n');
  const run = await runJob('retrain.ts', [
    '--store',
    path.join(empty, 'store'),
    '--data-root',
    path.join(empty, 'data'),
    '--outcomes',
    path.join(dir, 'outcomes-only.csv'),
  ]);
  expect(run.code).toBe(1);
  expect(run.stdout).toContain('no snapshot in');
  const bad = await runJob('retrain.ts', ['--store', 'x', '--data-root', 'y', '--outcomes', 'z', '--min-auc', '2']);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toContain('--min-auc must be a number from 0 to 1');
});

it("starts a new stack's first snapshot from the month's outcomes alone, without --base", async () => {
  const { root, store } = await setUp('first-run', 4000, false);
  const run = await runJob('retrain.ts', [
    '--store',
    store.location,
    '--data-root',
    path.join(root, 'data'),
    '--outcomes',
    path.join(root, 'outcomes.csv'),
    '--min-auc',
    '0.75',
    '--max-drop',
    '0.02',
  ]);
  expect([0, 3]).toContain(run.code);
  const report = await reportOf(root);
  expect(report.snapshot).toMatchObject({ rows: 2000, new_rows: 2000, parent: null });
  const snapshots = await readdir(path.join(root, 'data/snapshots'));
  const manifest = JSON.parse(await readFile(path.join(root, 'data/snapshots', snapshots[0], 'manifest.json'), 'utf8'));
  expect(manifest.sources.base).toBe('none: the first month of outcomes alone');
});

it('says a failure in a JSON line, so the log metric filter on level "error" counts it', async () => {
  const run = await runJob('retrain.ts', [
    '--store',
    path.join(dir, 'nowhere'),
    '--data-root',
    path.join(dir, 'nowhere'),
    '--outcomes',
    path.join(dir, 'missing.csv'),
  ]);
  expect(run.code).toBe(1);
  const line = run.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
    .find((l) => l.level === 'error');
  expect(line).toMatchObject({ level: 'error', message: 'failed' });
  expect(line.reason).toContain('missing.csv');
});

/** The monthly round in this process, with a trainer that shifts the candidate's log-odds after Python trains it. */
async function retrainShifted(name: string, shifts: number[]) {
  const { root, store, base } = await setUp(name, 8000, false);
  return retrain({
    store,
    dataRoot: new FsBlobStore(path.join(root, 'data')),
    outcomes: await readFile(path.join(root, 'outcomes.csv')),
    outcomesName: 'outcomes.csv',
    base: await readFile(base),
    name: NAME,
    channel: 'production',
    minAuc: 0.75,
    maxDrop: 0.02,
    logger: createJsonLineLogger('error'),
    snapshotStep: 'in-process',
    train: async (dataFile, outDir, holdoutFile, data) => {
      await pythonTrainer(42, { searchSeconds: 0 })(dataFile, outDir, holdoutFile, data);
      for (const shift of shifts) {
        const shifted = spawnSync(findPython(), [
          path.join(ROOT, 'test/helpers/shift_log_odds.py'),
          outDir,
          String(shift),
        ]);
        expect(shifted.stderr.toString()).toBe('');
      }
    },
  });
}

it('refuses a candidate whose probabilities are 30% too low (same ranking, same AUC), naming the red grade', async () => {
  const report = await retrainShifted('doctored', [Math.log(0.7)]);
  expect(report.status).toBe('rejected');
  expect(report.reasons).toEqual(
    expect.arrayContaining([expect.stringMatching(/^candidate's grade R\d is red: \d+ defaults in \d+ applications/)]),
  );
  // Its ranking is as good as production's: the AUC rules alone would have promoted it.
  expect(report.candidate!.roc_auc).toBeGreaterThan(report.production!.roc_auc - 0.02);
  expect(report.candidate!.calibration.worst_light).toBe('red');
});

it('promotes the same candidate recalibrated (its log-odds shifted back)', async () => {
  const report = await retrainShifted('recalibrated', [Math.log(0.7), -Math.log(0.7)]);
  expect(report.reasons.join('; ')).toMatch(/no grade red/);
  expect(report.status).toBe('promoted');
});
