import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { replayPolicy } from '../../jobs/policy-replay/replay.js';
import { writePredictionLog } from '../../jobs/simulation/prediction-log-files.js';
import { withEngine } from '../../jobs/tables/engine.js';
import { loadVersion } from '../../service/src/model/load-version.js';
import { FsModelStore } from '../../service/src/model/stores/fs-model-store.js';
import { CreditPolicy, decide } from '../../service/src/policy/credit-policy.js';
import { BUILT_IN_POLICY, DEFAULT_POLICY } from '../../service/src/policy/default-policy.js';
import { answerUnder } from '../../service/src/predict/answer.js';
import { FsBlobStore } from '../../service/src/storage/fs-blob-store.js';
import { randomApplications, VALID_APPLICATION } from '../helpers/applications.js';
import { runJob } from '../helpers/cli.js';
import { ROOT } from '../helpers/paths.js';
import { HIGH_DEBT } from '../helpers/policies.js';

/*
 * Replay: the logged applications of a period (a prediction log written by the service's own writer, answered by
 * the demo model) re-decided under a candidate policy; the swap set must equal a direct recount.
 */
const ROWS = 4000;
const DAY = Date.parse('2026-11-02T09:00:00Z');
let dir: string;
let applications: ReturnType<typeof randomApplications>;
let scores: Float32Array;
let threshold: number;

const CANDIDATE: CreditPolicy = {
  description: 'Refer from 0.15 to 0.35; decline a debt-to-income ratio above 0.6',
  knock_outs: [HIGH_DEBT],
  cutoffs: { default: { approve_below: 0.15, decline_from: 0.35 } },
  examples: [
    { application: { ...VALID_APPLICATION }, probability_of_default: 0.2, decision: 'refer' },
    {
      application: { ...VALID_APPLICATION, debt_to_income_ratio: 0.7 },
      probability_of_default: 0.01,
      decision: 'decline',
    },
  ],
};

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'policy-replay-'));
  const store = new FsModelStore(path.join(ROOT, 'models'));
  const model = await loadVersion(
    store,
    'loan-default',
    (await store.readChannel('loan-default', 'production'))!.version,
  );
  applications = randomApplications(ROWS, 31);
  scores = await model.score(applications);
  threshold = model.threshold;
  const answers = applications.map((_, i) => ({
    prediction_id: `p${i}`,
    application_id: `a${i}`,
    ...answerUnder(BUILT_IN_POLICY, model, applications[i], scores[i]),
  }));
  // Two days: the replay's period takes the second only.
  const groups = [0, 1].map((d) => ({
    time: DAY + d * 86_400_000,
    requestId: null,
    modelVersion: model.version,
    threshold,
  }));
  await writePredictionLog(new FsBlobStore(path.join(dir, 'data')), 'x', applications, answers, (i) => groups[i % 2]);
  await model.release();
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

it('moves nobody under the default policy, and counts the swap set of a refer band and a knock-out exactly', async () => {
  const root = new FsBlobStore(path.join(dir, 'data'));
  const unchanged = await withEngine('replay-test', (engine) => replayPolicy(root, engine, DEFAULT_POLICY));
  expect(unchanged.applications).toBe(ROWS);
  expect(unchanged.swaps).toBe(0);

  const report = await withEngine('replay-test', (engine) => replayPolicy(root, engine, CANDIDATE));
  // The same swap set counted directly from the applications and the probabilities they were given.
  const expected = new Map<string, number>();
  applications.forEach((application, i) => {
    const before = scores[i] >= threshold ? 'decline' : 'approve';
    const after = decide(CANDIDATE, application, scores[i], threshold).decision;
    expected.set(`${before}>${after}`, (expected.get(`${before}>${after}`) ?? 0) + 1);
  });
  expect(Object.fromEntries(report.moves.map((m) => [`${m.from}>${m.to}`, m.count]))).toEqual(
    Object.fromEntries(expected),
  );
  expect(report.after.refer_rate).toBeGreaterThan(0);
  expect(report.rules_fired.K01).toBe(applications.filter((a) => a.debt_to_income_ratio > 0.6).length);
  console.log(
    `replay swap set (${report.applications} applications): ` +
      report.moves
        .map((m) => `${m.from}->${m.to} ${m.count} (mean PD ${(100 * m.mean_probability_of_default).toFixed(1)}%)`)
        .join('; ') +
      `; approval ${(100 * report.before.approval_rate).toFixed(1)}% -> ${(100 * report.after.approval_rate).toFixed(1)}%, ` +
      `refer ${(100 * report.after.refer_rate).toFixed(1)}%`,
  );
  // A period: the second day only.
  const secondDay = await withEngine('replay-test', (engine) =>
    replayPolicy(root, engine, CANDIDATE, { from: new Date(DAY + 86_400_000 - 3_600_000) }),
  );
  expect(secondDay.applications).toBe(ROWS / 2);
});

it('npm run policy -- replay writes its report, and verify refuses a broken policy naming its problems', async () => {
  const policyFile = path.join(dir, 'candidate.json');
  await import('node:fs/promises').then((fs) => fs.writeFile(policyFile, JSON.stringify(CANDIDATE)));
  const run = await runJob('policy.ts', ['replay', '--policy', policyFile, '--data-root', path.join(dir, 'data')]);
  expect(run.code).toBe(0);
  const out = JSON.parse(run.stdout.trim().split('\n').pop()!);
  const report = JSON.parse(await readFile(out.report, 'utf8'));
  expect(report.applications).toBe(ROWS);
  expect(await readFile(out.report.replace('report.json', 'report.html'), 'utf8')).toContain('Swap set');

  const broken = path.join(dir, 'broken.json');
  await import('node:fs/promises').then((fs) =>
    fs.writeFile(
      broken,
      JSON.stringify({ ...CANDIDATE, cutoffs: { default: { approve_below: 0.5, decline_from: 0.2 } } }),
    ),
  );
  const refused = await runJob('policy.ts', ['verify', broken]);
  expect(refused.code).toBe(2);
  expect(refused.stderr).toContain(
    'cutoffs.default: approve_below 0.5 is above decline_from 0.2 (cut-offs out of order)',
  );
});

// (Uses the policy files the test above wrote.)
it('publishes a verified policy as an immutable version, and promotes it only after a replay over the last 30 days', async () => {
  const store = path.join(dir, 'store');
  const data = path.join(dir, 'data');
  const policyFile = path.join(dir, 'candidate.json');
  const published = await runJob('policy.ts', ['publish', policyFile, '--store', store]);
  expect(published.code).toBe(0);
  const version = JSON.parse(published.stdout.trim()).published as string;
  expect(version).toMatch(/^\d{8}T\d{6}Z-[0-9a-f]{7}$/);
  const stored = JSON.parse(await readFile(path.join(store, 'loan-default/policies', version, 'policy.json'), 'utf8'));
  expect(stored).toMatchObject({ policy_version: version, description: CANDIDATE.description });

  // No replay of this version yet: refused, and nothing moved.
  const refused = await runJob('policy.ts', ['promote', version, '--store', store, '--data-root', data]);
  expect(refused.code).toBe(3);
  expect(refused.stderr).toContain(`no replay of ${version} over the last 30 days`);
  await expect(readFile(path.join(store, 'loan-default/policy-channels/production.json'))).rejects.toThrow();

  // A replay of the published version over the last 30 days, then the promotion.
  const from = new Date(Date.now() - 31 * 86_400_000).toISOString().slice(0, 10);
  const replay = await runJob('policy.ts', [
    'replay',
    '--version',
    version,
    '--store',
    store,
    '--data-root',
    data,
    '--from',
    from,
  ]);
  expect(replay.code).toBe(0);
  expect(JSON.parse(replay.stdout.trim().split('\n').pop()!).policy_version).toBe(version);
  const promoted = await runJob('policy.ts', ['promote', version, '--store', store, '--data-root', data]);
  expect(promoted.code).toBe(0);
  const pointer = JSON.parse(await readFile(path.join(store, 'loan-default/policy-channels/production.json'), 'utf8'));
  expect(pointer).toMatchObject({ version, previous: null });
  expect(pointer.forced).toBeUndefined();

  // Another version forced through without a replay: allowed, logged, and the pointer says so.
  await import('node:fs/promises').then((fs) =>
    fs.writeFile(policyFile, JSON.stringify({ ...CANDIDATE, description: 'the same, reworded' })),
  );
  const second = JSON.parse(
    (await runJob('policy.ts', ['publish', policyFile, '--store', store])).stdout.trim(),
  ).published;
  const forced = await runJob('policy.ts', ['promote', second, '--store', store, '--data-root', data, '--force']);
  expect(forced.code).toBe(0);
  expect(forced.stdout).toContain('"message":"policy promoted without a replay"');
  const after = JSON.parse(await readFile(path.join(store, 'loan-default/policy-channels/production.json'), 'utf8'));
  expect(after).toMatchObject({ version: second, previous: version, forced: true });

  // A broken policy is never published.
  const broken = path.join(dir, 'broken.json');
  const refusedPublish = await runJob('policy.ts', ['publish', broken, '--store', store]);
  expect(refusedPublish.code).toBe(2);
  expect(refusedPublish.stderr).toContain('cut-offs out of order');
});
