import { cp, mkdtemp, readdir, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { CreditPolicy, decide, type PolicyDecision } from '../../service/src/policy/credit-policy.js';
import { PolicyStore } from '../../service/src/policy/policy-store.js';
import { FsBlobStore } from '../../service/src/storage/fs-blob-store.js';
import { metricValue } from '../helpers/admin.js';
import { randomApplications, VALID_APPLICATION } from '../helpers/applications.js';
import { ROOT } from '../helpers/paths.js';
import { S3TestServer, startS3Server } from '../helpers/s3-server.js';
import { postJson, RunningService, startService, waitFor } from '../helpers/service-process.js';
import { HIGH_DEBT } from '../helpers/policies.js';

/*
 * The credit policy on the real service: a published policy with a knock-out, a segment and a refer band is
 * picked up from the store's channel without a restart and decides every answer; the reviewers' route records a
 * final decision once, in a real S3-compatible decision log; a broken policy pointed to never decides.
 */
const NAME = 'loan-default';
const REVIEWER = 'alice';
const REVIEWER_TOKEN = 'reviewer-token-alice-0123456789';

const CANDIDATE: CreditPolicy = {
  description: 'Refer from 0.08 to the threshold; decline a debt-to-income ratio above 0.6; large loans stricter',
  knock_outs: [HIGH_DEBT],
  cutoffs: {
    default: { approve_below: 0.08, decline_from: 'model_threshold' },
    segments: [
      { name: 'large', field: 'loan_amount', min: 40_000, cutoff: { approve_below: 0.05, decline_from: 0.2 } },
    ],
  },
  examples: [
    { application: { ...VALID_APPLICATION }, probability_of_default: 0.1, model_threshold: 0.242, decision: 'refer' },
    {
      application: { ...VALID_APPLICATION, debt_to_income_ratio: 0.7 },
      probability_of_default: 0.01,
      model_threshold: 0.242,
      decision: 'decline',
      rules_fired: ['K01'],
    },
  ],
};

let dir: string;
let store: string;
let policies: PolicyStore;
let s3: S3TestServer;
let service: RunningService;
let candidate: string;
let shipped: string;
/** A referred answer and its application, for the reviewer. */
let referral: { answer: { prediction_id: string; probability_of_default: number }; applicationId: string };
const predictionLog = () => path.join(dir, 'data', 'predictions');

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'credit-policy-e2e-'));
  store = path.join(dir, 'models');
  await cp(path.join(ROOT, 'models'), store, { recursive: true });
  policies = new PolicyStore(new FsBlobStore(store), NAME);
  shipped = (await policies.readChannel('production'))!.version;
  s3 = await startS3Server();
  await s3.createBucket('data');
  service = await startService({
    ...s3.env,
    MODEL_STORE: store,
    MODEL_POLL_INTERVAL_S: '1',
    PREDICTION_LOG: predictionLog(),
    DECISION_LOG: 's3://data/decisions',
    REVIEWER_TOKENS: `${REVIEWER}:${REVIEWER_TOKEN},bob:reviewer-token-bob-0123456789`,
    RATE_LIMIT_PER_MINUTE: '0',
  });
});

afterAll(async () => {
  await service?.stop();
  await s3?.dispose();
  await rm(dir, { recursive: true, force: true });
});

const review = (id: string, body: unknown, token: string | null = REVIEWER_TOKEN) =>
  postJson(`${service.url}/decisions/${id}`, body, token ? { authorization: `Bearer ${token}` } : {});

describe('a credit policy published beside the models', () => {
  it('serves the demo store shipped default policy, which decides as the threshold does', async () => {
    const { json } = await postJson(`${service.url}/predict`, VALID_APPLICATION);
    expect(json.policy_version).toBe(shipped);
    expect(json.rules_fired).toEqual([]);
    expect(json.decision).toBe(json.probability_of_default >= json.threshold ? 'decline' : 'approve');
  });

  it('is picked up without a restart and decides every answer: knock-outs, segments and a refer band', async () => {
    candidate = await policies.publish(CANDIDATE);
    await policies.promote('production', candidate, { forced: true });
    await waitFor(
      async () => (await postJson(`${service.url}/predict`, VALID_APPLICATION)).json.policy_version === candidate,
      10_000,
    );
    const applications = randomApplications(300, 77).map((a, i) => ({
      ...a,
      // Some large loans and some high ratios, so every rule has applications to fire on.
      ...(i % 5 === 0 ? { loan_amount: 45_000 } : {}),
      ...(i % 7 === 0 ? { debt_to_income_ratio: 0.65 } : {}),
      application_id: `app-${i}`,
    }));
    const answers = [
      ...(await postJson(`${service.url}/predict/batch`, { applications: applications.slice(0, 200) })).json
        .predictions,
    ];
    for (const application of applications.slice(200))
      answers.push((await postJson(`${service.url}/predict`, application)).json);
    const tally: Record<PolicyDecision, number> = { approve: 0, refer: 0, decline: 0 };
    answers.forEach((answer, i) => {
      const expected = decide(
        { ...CANDIDATE, policy_version: candidate },
        applications[i],
        answer.probability_of_default,
        answer.threshold,
      );
      expect(answer.policy_version).toBe(candidate);
      expect(answer.decision).toBe(expected.decision);
      expect(answer.rules_fired).toEqual(expected.rules_fired);
      tally[answer.decision as PolicyDecision]++;
      if (expected.rules_fired.includes('K01')) {
        // The rule's code and words lead the reasons; the model's follow.
        expect(answer.reasons[0]).toEqual({
          code: 'K01',
          feature: 'debt_to_income_ratio',
          value: applications[i].debt_to_income_ratio,
          text: CANDIDATE.knock_outs[0].text,
        });
        expect(answer.reasons.length).toBeGreaterThan(1);
      }
      if (answer.decision === 'refer') expect(answer.reasons.length).toBeGreaterThan(0);
    });
    expect(tally.refer).toBeGreaterThan(10);
    const r = answers.findIndex((a) => a.decision === 'refer');
    referral = { answer: answers[r], applicationId: applications[r].application_id };
    expect(tally.approve).toBeGreaterThan(10);
    expect(answers.filter((a) => a.rules_fired.includes('K01')).length).toBe(
      applications.filter((a) => a.debt_to_income_ratio > 0.6).length,
    );
    expect(answers.some((a) => a.rules_fired.includes('segment:large'))).toBe(true);

    const report = (await (await fetch(`${service.url}/monitoring/decisions`)).json()) as any;
    expect(report.policy_version).toBe(candidate);
    const mix = report.policies.find((p: { policy_version: string }) => p.policy_version === candidate);
    // The mix counts these answers and the probes that waited for the swap (VALID_APPLICATION: approved).
    const probes = mix.answers - answers.length;
    expect(probes).toBeGreaterThanOrEqual(1);
    expect(mix.decisions.approve.count).toBe(tally.approve + probes);
    expect(mix.decisions.refer.count).toBe(tally.refer);
    expect(mix.decisions.decline.count).toBe(tally.decline);
    expect(mix.rules_fired.find((r: { rule: string }) => r.rule === 'K01').count).toBe(
      answers.filter((a) => a.rules_fired.includes('K01')).length,
    );
    expect(await metricValue(service.url, 'predictions_total', { decision: 'refer' })).toBe(mix.decisions.refer.count);
  });

  it('takes one final decision per referral from a reviewer, written to the decision log, and counts overrides', async () => {
    const referred = referral.answer;
    const id = referred.prediction_id;
    expect((await review(id, { final_decision: 'approve', reason_code: 'INCOME_VERIFIED' }, null)).status).toBe(401);
    expect(
      (await review(id, { final_decision: 'approve', reason_code: 'INCOME_VERIFIED' }, 'not-a-reviewer-token-000'))
        .status,
    ).toBe(403);
    const bad = await review(id, { final_decision: 'maybe', reason_code: 'ok' });
    expect(bad.status).toBe(400);
    expect(bad.json.message.join(' ')).toContain('final_decision must be one of approve, decline');
    const badCode = await review(id, { final_decision: 'approve', reason_code: 'ok' });
    expect(badCode.json.message.join(' ')).toContain('reason_code must be 2 to 32 capitals');
    expect((await review('not-a-uuid', { final_decision: 'approve', reason_code: 'OK' })).status).toBe(400);
    const { json: approved } = await postJson(`${service.url}/predict`, { ...VALID_APPLICATION, credit_score: 850 });
    expect(approved.decision).toBe('approve');
    const notReferred = await review(approved.prediction_id, { final_decision: 'approve', reason_code: 'OK' });
    expect(notReferred.status).toBe(404);
    expect(notReferred.json.message.join(' ')).toContain('it was not referred');

    const recorded = await review(id, { final_decision: 'decline', reason_code: 'INCOME_NOT_VERIFIED' });
    expect(recorded.status).toBe(201);
    // Referred below the threshold (the band ends there): the model alone approved it, so a decline overrides it.
    expect(recorded.json).toMatchObject({
      prediction_id: id,
      application_id: referral.applicationId,
      final_decision: 'decline',
      reason_code: 'INCOME_NOT_VERIFIED',
      reviewer: REVIEWER,
      policy_decision: 'refer',
      model_decision: 'approve',
      override: true,
      policy_version: candidate,
      probability_of_default: referred.probability_of_default,
    });
    const object = await s3.client.send(new GetObjectCommand({ Bucket: 'data', Key: `decisions/${id}.json` }));
    expect(JSON.parse(await object.Body!.transformToString())).toEqual(recorded.json);
    const again = await review(
      id,
      { final_decision: 'approve', reason_code: 'CHANGED_MIND' },
      'reviewer-token-bob-0123456789',
    );
    expect(again.status).toBe(409);

    const report = (await (await fetch(`${service.url}/monitoring/decisions`)).json()) as any;
    expect(report.reviews).toMatchObject({
      decided: 1,
      overrides: 1,
      override_rate: 1,
      final_decisions: { approve: 0, decline: 1 },
    });
    expect(report.reviews.open_referrals).toBeGreaterThan(10);
  });

  it('never lets a broken policy decide: the one serving keeps serving, the problems are logged by name', async () => {
    // Written past publish (as a hand-edited store would be): its example says approve where it refers.
    const broken = { ...CANDIDATE, policy_version: '20261205T000000Z-badbad0' };
    broken.examples = [{ ...CANDIDATE.examples[0], decision: 'approve' }];
    await mkdir(path.join(store, NAME, 'policies', broken.policy_version), { recursive: true });
    await writeFile(path.join(store, NAME, 'policies', broken.policy_version, 'policy.json'), JSON.stringify(broken));
    await writeFile(
      path.join(store, NAME, 'policy-channels', 'production.json'),
      JSON.stringify({ version: broken.policy_version, updated_at: new Date().toISOString(), previous: candidate }),
    );
    await waitFor(
      async () => service.logs.some((l) => l.message === 'credit policy rejected; keeping the current policy'),
      10_000,
    );
    const line = service.logs.find((l) => l.message === 'credit policy rejected; keeping the current policy')!;
    expect(line.version).toBe(broken.policy_version);
    expect((line.problems as string[]).join(' ')).toContain('examples[0]: decided refer, the example says approve');
    expect((await postJson(`${service.url}/predict`, VALID_APPLICATION)).json.policy_version).toBe(candidate);
    expect(await metricValue(service.url, 'policy_swaps_total', { outcome: 'failure' })).toBeGreaterThanOrEqual(1);
  });

  it('logs every answer with its policy version and rules fired', async () => {
    await service.stop();
    const files: Buffer[] = [];
    for (const day of await readdir(predictionLog()))
      for (const file of await readdir(path.join(predictionLog(), day)))
        files.push(await readFile(path.join(predictionLog(), day, file)));
    const records = files.flatMap((f) =>
      gunzipSync(f)
        .toString('utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l)),
    );
    const decided = records.filter((r) => r.policy_version === candidate);
    expect(decided.length).toBeGreaterThan(300);
    expect(decided.some((r) => r.decision === 'refer')).toBe(true);
    expect(decided.filter((r) => r.rules_fired.includes('K01')).every((r) => r.decision === 'decline')).toBe(true);
    expect(records.filter((r) => r.policy_version === shipped).every((r) => r.rules_fired.length === 0)).toBe(true);
  });
});

describe('a service whose policy channel names a policy that fails verification', () => {
  it('does not become ready and answers 503 rather than decide by it', async () => {
    const broken = path.join(dir, 'broken-store');
    await cp(store, broken, { recursive: true });
    const brokenService = await startService({ MODEL_STORE: broken }, false);
    try {
      await waitFor(async () => brokenService.logs.some((l) => l.message === 'model activated'), 20_000);
      await waitFor(
        async () => brokenService.logs.some((l) => l.message === 'credit policy rejected; keeping the current policy'),
        10_000,
      );
      expect((await fetch(`${brokenService.url}/health/ready`)).status).toBe(503);
      const { status, json } = await postJson(`${brokenService.url}/predict`, VALID_APPLICATION);
      expect(status).toBe(503);
      expect(json.message.join(' ')).toContain('no credit policy is loaded');
    } finally {
      await brokenService.stop();
    }
  });
});
