import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CreditPolicy, decide, PolicyDecision } from '../../service/src/policy/credit-policy.js';
import { DEFAULT_POLICY } from '../../service/src/policy/default-policy.js';
import { policyProblems } from '../../service/src/policy/policy-problems.js';
import { PolicyStore } from '../../service/src/policy/policy-store.js';
import { FsBlobStore } from '../../service/src/storage/fs-blob-store.js';
import { CREDIT_POLICY_SCHEMA } from '../../service/src/policy/policy-schema.js';
import { loadVersion } from '../../service/src/model/load-version.js';
import { FsModelStore } from '../../service/src/model/stores/fs-model-store.js';
import { randomApplications, VALID_APPLICATION } from '../helpers/applications.js';
import { ROOT } from '../helpers/paths.js';
import { HIGH_DEBT } from '../helpers/policies.js';

/* The credit policy as data: its schema, its verification (every problem named), and its decisions. */
const example = (decision: PolicyDecision, probability: number, extra: object = {}) => ({
  application: { ...VALID_APPLICATION },
  probability_of_default: probability,
  model_threshold: 0.25,
  decision,
  ...extra,
});

const REFER_BAND: CreditPolicy = {
  description: 'Refer between 0.15 and 0.35; decline a debt-to-income ratio above 0.6 whatever the model says',
  knock_outs: [HIGH_DEBT],
  cutoffs: {
    default: { approve_below: 0.15, decline_from: 0.35 },
    segments: [{ name: 'large', field: 'loan_amount', min: 40000, cutoff: { approve_below: 0.1, decline_from: 0.3 } }],
  },
  examples: [
    example('approve', 0.1),
    example('refer', 0.2),
    example('decline', 0.4),
    example('decline', 0.01, {
      application: { ...VALID_APPLICATION, debt_to_income_ratio: 0.7 },
      rules_fired: ['K01'],
    }),
  ],
};

it('publishes the same JSON Schema in docs/ as the one it checks with', () => {
  const published = JSON.parse(readFileSync(path.join(ROOT, 'docs/credit-policy.schema.json'), 'utf8'));
  expect(published).toEqual(CREDIT_POLICY_SCHEMA);
});

it('accepts the default policy, a policy with a refer band, a knock-out and a segment, and the docs example', async () => {
  expect(await policyProblems(DEFAULT_POLICY)).toEqual([]);
  expect(await policyProblems(REFER_BAND)).toEqual([]);
  const example = JSON.parse(readFileSync(path.join(ROOT, 'docs/credit-policy.example.json'), 'utf8'));
  expect(await policyProblems(example)).toEqual([]);
  // Its knock-out text says the applicant's own value.
  const decided = decide(example, { ...VALID_APPLICATION, credit_score: 540 }, 0.01, 0.242);
  expect([decided.decision, decided.rules_fired, decided.knock_outs[0].text]).toEqual([
    'decline',
    ['K02'],
    'Your credit score of {value} is below our minimum of 560',
  ]);
});

it('decides as the service always has with the demo store policy, over 10,000 applications scored by the demo model', async () => {
  const store = new FsModelStore(path.join(ROOT, 'models'));
  const version = (await store.readChannel('loan-default', 'production'))!.version;
  const model = await loadVersion(store, 'loan-default', version);
  // The policy the demo store ships on its production channel (verified as it is read) is the default one.
  const policies = new PolicyStore(new FsBlobStore(path.join(ROOT, 'models')), 'loan-default');
  const shipped = await policies.read((await policies.readChannel('production'))!.version);
  const { policy_version: _version, ...content } = shipped;
  expect(content).toEqual(DEFAULT_POLICY);
  try {
    const applications = randomApplications(10_000, 26);
    const scores = await model.score(applications);
    let declines = 0;
    let differ = 0;
    applications.forEach((application, i) => {
      // Today's rule, as the service decided before policies.
      const today = scores[i] >= model.threshold ? 'decline' : 'approve';
      const policy = decide(shipped, application, scores[i], model.threshold);
      if (today === 'decline') declines++;
      if (policy.decision !== today || policy.rules_fired.length > 0) differ++;
    });
    expect(differ).toBe(0);
    expect(declines).toBeGreaterThan(1000);
    expect(declines).toBeLessThan(9000);
  } finally {
    await model.release();
  }
});

it('decides approve, refer and decline by the cut-offs, the segment and the knock-out', () => {
  const at = (p: number, changes: object = {}) => decide(REFER_BAND, { ...VALID_APPLICATION, ...changes }, p, 0.25);
  expect(at(0.149).decision).toBe('approve');
  expect(at(0.15).decision).toBe('refer');
  expect(at(0.349).decision).toBe('refer');
  expect(at(0.35).decision).toBe('decline');
  expect(at(0.12, { loan_amount: 40000 })).toMatchObject({ decision: 'refer', rules_fired: ['segment:large'] });
  expect(at(0.01, { debt_to_income_ratio: 0.61 })).toMatchObject({ decision: 'decline', rules_fired: ['K01'] });
  expect(at(0.01, { debt_to_income_ratio: 0.61 }).knock_outs[0].text).toMatch(/60% of your income/);
});

it('names every problem of a broken policy, and refuses one that breaks its schema', async () => {
  const broken = {
    ...REFER_BAND,
    knock_outs: [
      { code: 'K01', field: 'gender', operator: '==', value: 'Male', text: 'protected' },
      { code: 'K01', field: 'loan_purpose', operator: '>', value: 'Car', text: 'ordered text' },
      { code: 'K02', field: 'loan_purpose', operator: 'in', value: ['Holiday'], text: 'unknown value' },
    ],
    cutoffs: {
      default: { approve_below: 0.4, decline_from: 0.2 },
      segments: [
        { name: 'big', field: 'loan_amount', min: 30000, cutoff: { approve_below: 0.1, decline_from: 0.3 } },
        {
          name: 'bigger',
          field: 'loan_amount',
          min: 40000,
          max: 90000,
          cutoff: { approve_below: 0.1, decline_from: 0.3 },
        },
      ],
    },
  };
  const problems = await policyProblems(broken);
  console.log(`verification of a broken policy:\n  ${problems.join('\n  ')}`);
  expect(problems).toEqual(
    expect.arrayContaining([
      'knock_outs[1]: code K01 is used twice',
      'knock_outs[0] (K01): gender is a protected attribute and never decides',
      'knock_outs[1] (K01): operator > needs a number field, loan_purpose is not one',
      expect.stringMatching(/^knock_outs\[2\] \(K02\): "Holiday" is not a value of loan_purpose/),
      'cutoffs.default: approve_below 0.4 is above decline_from 0.2 (cut-offs out of order)',
      'cutoffs.segments[1] (bigger): overlaps segment big (an application could be in both)',
    ]),
  );
  const unknown = await policyProblems({
    ...REFER_BAND,
    knock_outs: [{ code: 'K09', field: 'favourite_colour', operator: '~', value: 1, text: 'x' }],
  });
  expect(unknown.join('\n')).toMatch(/\/knock_outs\/0\/field: must be equal to one of the allowed values/);
  expect(unknown.join('\n')).toMatch(/\/knock_outs\/0\/operator: must be equal to one of the allowed values/);
});

it('refuses an example that leaves out the threshold a model_threshold cut-off needs', async () => {
  const { model_threshold: _left, ...withoutThreshold } = DEFAULT_POLICY.examples[0];
  expect(await policyProblems({ ...DEFAULT_POLICY, examples: [withoutThreshold] })).toEqual([
    "examples[0]: the policy's cut-offs follow the model's threshold; give the example's model_threshold",
  ]);
});

it('refuses a policy whose examples it does not decide as they say', async () => {
  const wrong = { ...REFER_BAND, examples: [example('approve', 0.2), example('refer', 0.5)] };
  expect(await policyProblems(wrong)).toEqual([
    'examples[0]: decided refer, the example says approve',
    'examples[1]: decided decline, the example says refer',
  ]);
});
