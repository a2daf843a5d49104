import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { PredictionRecord } from '../../service/src/capture/prediction-record.js';
import { publishVerified } from '../../service/src/model/channels.js';
import { FsModelStore } from '../../service/src/model/stores/fs-model-store.js';
import { randomApplications, seededRandom } from '../helpers/applications.js';
import { runJob } from '../helpers/cli.js';
import { trainedFixtures, TrainedFixture } from '../helpers/model-fixtures.js';

/*
 * npm run compare on captured records that carry production's and the shadow's scores, with outcomes made so
 * that the challenger is truly better, then truly worse: the report says promote, then keep, and its ROC-AUC
 * figures match a direct computation (every pair of a default and a repayment, counted).
 */
let dir: string;
let champion: TrainedFixture;
let challenger: TrainedFixture;
let store: FsModelStore;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'compare-'));
  [champion, challenger] = await trainedFixtures([11, 12]);
  store = new FsModelStore(path.join(dir, 'store'));
  for (const fixture of [champion, challenger]) await publishVerified(store, fixture.files);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** ROC-AUC by counting every (default, repayment) pair: the slow, obvious way. */
function directAuc(defaulted: number[], scores: number[]): number {
  let wins = 0;
  let pairs = 0;
  for (let i = 0; i < scores.length; i++) {
    if (defaulted[i] !== 1) continue;
    for (let j = 0; j < scores.length; j++) {
      if (defaulted[j] !== 0) continue;
      pairs++;
      wins += scores[i] > scores[j] ? 1 : scores[i] === scores[j] ? 0.5 : 0;
    }
  }
  return wins / pairs;
}

/**
 * A data root whose prediction log holds 1,500 records scored by both models, and outcomes drawn from the
 * `informed` model's probability (so that model is truly better); the other's scores are unrelated noise.
 */
async function setUp(name: string, informed: 'champion' | 'challenger') {
  const root = path.join(dir, name);
  await mkdir(path.join(root, 'data/predictions/dt=2026-11-01'), { recursive: true });
  const next = seededRandom(name.length * 7919);
  const applications = randomApplications(1500, 61);
  const records: PredictionRecord[] = [];
  const outcomes = ['application_id,loan_paid_back,observed_at'];
  const defaulted: number[] = [];
  applications.forEach((inputs, i) => {
    const [a, b] = [next(), next()];
    const truth = informed === 'challenger' ? b : a;
    const y = next() < truth ? 1 : 0;
    defaulted.push(y);
    records.push({
      prediction_id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      application_id: `cmp-${i}`,
      inputs,
      probability_of_default: a,
      decision: a >= 0.5 ? 'decline' : 'approve',
      threshold: 0.5,
      model_version: champion.version,
      timestamp: '2026-11-01T12:00:00.000Z',
      request_id: null,
      shadow: {
        model_version: challenger.version,
        probability_of_default: b,
        decision: b >= 0.5 ? 'decline' : 'approve',
      },
    });
    outcomes.push(`cmp-${i},${y === 1 ? 0 : 1},2026-12-01T00:00:00Z`);
  });
  await writeFile(
    path.join(root, 'data/predictions/dt=2026-11-01/part-1.jsonl.gz'),
    gzipSync(records.map((r) => JSON.stringify(r)).join('\n') + '\n'),
  );
  await writeFile(path.join(root, 'outcomes.csv'), outcomes.join('\n') + '\n');
  return { root, records, defaulted };
}

async function run(root: string) {
  const result = await runJob('compare.ts', [
    '--store',
    store.location,
    '--data-root',
    path.join(root, 'data'),
    '--outcomes',
    path.join(root, 'outcomes.csv'),
    '--min-auc',
    '0.6',
    '--min-air',
    '0',
  ]);
  const [run] = await readdir(path.join(root, 'data/comparisons'));
  const report = JSON.parse(await readFile(path.join(root, 'data/comparisons', run, 'report.json'), 'utf8'));
  const page = await readFile(path.join(root, 'data/comparisons', run, 'report.html'), 'utf8');
  expect(page).toContain(`<em>${report.verdict}</em>`);
  return { code: result.code, report, page };
}

it('says promote when the challenger is truly better, with ROC-AUC figures that match a direct computation', async () => {
  const { root, records, defaulted } = await setUp('better', 'challenger');
  const { code, report, page } = await run(root);
  expect(code).toBe(0);
  // The outcomes were drawn from the challenger's own probabilities: its promise holds, grade by grade.
  expect(report.challenger.calibration.count).toBe(1500);
  expect(report.challenger.calibration.worst_light).not.toBe('red');
  expect(page).toContain("The challenger's probabilities on these outcomes");
  expect(report.verdict).toBe('promote');
  expect(report.rows).toBe(1500);
  expect(report.champion.version).toBe(champion.version);
  expect(report.challenger.version).toBe(challenger.version);
  expect(report.challenger.roc_auc).toBeCloseTo(
    directAuc(
      defaulted,
      records.map((r) => r.shadow!.probability_of_default),
    ),
    10,
  );
  expect(report.champion.roc_auc).toBeCloseTo(
    directAuc(
      defaulted,
      records.map((r) => r.probability_of_default),
    ),
    10,
  );
  const [low, high] = report.challenger.roc_auc_95;
  expect(low).toBeLessThan(report.challenger.roc_auc);
  expect(high).toBeGreaterThan(report.challenger.roc_auc);
  expect(report.challenger.fairness.gender).toBeDefined();
});

it('says keep when the challenger is truly worse', async () => {
  const { root, records, defaulted } = await setUp('worse', 'champion');
  const { code, report } = await run(root);
  expect(code).toBe(3);
  expect(report.verdict).toBe('keep');
  expect(report.reasons.join(' ')).toMatch(/challenger ROC-AUC/);
  expect(report.champion.roc_auc).toBeCloseTo(
    directAuc(
      defaulted,
      records.map((r) => r.probability_of_default),
    ),
    10,
  );
});
