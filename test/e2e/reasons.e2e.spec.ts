import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  GRADE_LETTERS,
  LoanApplication,
  GENDERS,
  MARITAL_STATUSES,
} from '../../service/src/contract/loan-application.contract.js';
import { ModelManifest } from '../../service/src/model/manifest.js';
import { randomApplications } from '../helpers/applications.js';
import { DEMO_STORE } from '../helpers/paths.js';
import { postJson, RunningService, startService } from '../helpers/service-process.js';

/*
 * Lawful decisions over real HTTP on the demo model: a reason for every decline, none on approvals unless asked,
 * protected attributes that never change an answer, and risk that moves the right way with each constrained input.
 */
const version = JSON.parse(readFileSync(path.join(DEMO_STORE, 'loan-default/channels/production.json'), 'utf8'))
  .version as string;
const manifest = JSON.parse(
  readFileSync(path.join(DEMO_STORE, 'loan-default/versions', version, 'manifest.json'), 'utf8'),
) as ModelManifest;
const codes = new Set(manifest.explanation!.reasons.map((r) => r.code));

interface Answer {
  probability_of_default: number;
  decision: 'approve' | 'decline';
  reasons?: { code: string; feature: string; value: string | number; contribution: number; text: string }[];
  contributions?: { base_log_odds: number; features: Record<string, number> };
}

let service: RunningService;

beforeAll(async () => {
  service = await startService({ RATE_LIMIT_PER_MINUTE: '0' });
});

afterAll(async () => {
  await service?.stop();
});

async function batch(applications: LoanApplication[], query = ''): Promise<Answer[]> {
  const answer = await postJson(`${service.url}/predict/batch${query}`, { applications });
  expect(answer.status).toBe(200);
  return answer.json.predictions as Answer[];
}

describe('reasons for every decline', () => {
  it('gives every decline 1 to 4 reasons with codes from the catalogue, and approvals none', async () => {
    const answers = await batch(randomApplications(1000, 31));
    const declines = answers.filter((a) => a.decision === 'decline');
    expect(declines.length).toBeGreaterThan(50);
    for (const answer of declines) {
      expect(answer.reasons!.length).toBeGreaterThanOrEqual(1);
      expect(answer.reasons!.length).toBeLessThanOrEqual(4);
      for (const reason of answer.reasons!) expect(codes.has(reason.code)).toBe(true);
    }
    for (const answer of answers.filter((a) => a.decision === 'approve')) expect(answer.reasons).toBeUndefined();
    // Only the declines are explained in a plain batch; each gets its own row's reasons, the same as when every
    // row is explained (explain=true).
    const explained = await batch(randomApplications(1000, 31), '?explain=true');
    answers.forEach((answer, i) => expect(answer.reasons).toEqual(explained[i].reasons));
  });

  it('with explain=true gives every answer its contributions, adding up to the answer', async () => {
    const answers = await batch(randomApplications(200, 32), '?explain=true');
    for (const answer of answers) {
      const { base_log_odds, features } = answer.contributions!;
      const sum = Object.values(features).reduce((a, b) => a + b, base_log_odds);
      expect(Math.abs(1 / (1 + Math.exp(-sum)) - answer.probability_of_default)).toBeLessThanOrEqual(1e-6);
      expect(Object.keys(features)).not.toContain('gender');
    }
    const refused = await postJson(`${service.url}/predict?explain=yes`, randomApplications(1, 33)[0]);
    expect(refused.status).toBe(400);
    expect(refused.json.message).toEqual(['explain must be true or false']);
  });

  it('one application over POST /predict: a decline carries reasons with readable text', async () => {
    const risky: LoanApplication = {
      annual_income: 30000,
      debt_to_income_ratio: 0.6,
      credit_score: 540,
      loan_amount: 25000,
      interest_rate: 19.5,
      gender: 'Female',
      marital_status: 'Single',
      education_level: 'High School',
      employment_status: 'Unemployed',
      loan_purpose: 'Business',
      grade_subgrade: 'F4',
    };
    const { status, json } = await postJson(`${service.url}/predict`, risky);
    expect(status).toBe(200);
    expect(json.decision).toBe('decline');
    expect(json.reasons[0]).toMatchObject({
      code: expect.stringMatching(/^R\d\d$/),
      text: expect.stringMatching(/[a-z]/),
    });
    expect(json.reasons.map((r: { text: string }) => r.text).join(' ')).not.toContain('{value}');
  });
});

describe('protected attributes never decide', () => {
  it('changing gender or marital status alone never changes an answer', async () => {
    const applications = randomApplications(300, 34);
    const base = await batch(applications);
    for (const [field, values] of [
      ['gender', GENDERS],
      ['marital_status', MARITAL_STATUSES],
    ] as const) {
      for (const value of values) {
        const changed = await batch(applications.map((a) => ({ ...a, [field]: value })));
        changed.forEach((answer, i) => {
          expect(answer.probability_of_default).toBe(base[i].probability_of_default);
          expect(answer.decision).toBe(base[i].decision);
          expect(answer.reasons?.map((r) => r.code)).toEqual(base[i].reasons?.map((r) => r.code));
        });
      }
    }
  });
});

describe('risk moves the right way with each constrained input', () => {
  const grades = [...GRADE_LETTERS].flatMap((letter) => [1, 2, 3, 4, 5].map((digit) => `${letter}${digit}`));
  const steps: [keyof LoanApplication, (string | number)[], 1 | -1][] = [
    ['credit_score', [300, 380, 450, 520, 580, 640, 700, 760, 820, 850], -1],
    ['annual_income', [5000, 10000, 20000, 40000, 80000, 160000, 320000, 1000000], -1],
    ['debt_to_income_ratio', [0, 0.05, 0.1, 0.2, 0.35, 0.5, 0.75, 1, 2, 5], 1],
    ['interest_rate', [2, 5, 8, 11, 14, 18, 22, 30, 50], 1],
    ['grade_subgrade', grades, 1],
  ];

  it.each(steps)('%s: 1,000 applications stepped across the range, 0 violations', async (field, values, direction) => {
    const applications = randomApplications(1000, 35);
    let previous: Answer[] | null = null;
    let violations = 0;
    for (const value of values) {
      const answers = await batch(applications.map((a) => ({ ...a, [field]: value })));
      if (previous)
        answers.forEach(
          (a, i) =>
            (violations += (a.probability_of_default - previous![i].probability_of_default) * direction < 0 ? 1 : 0),
        );
      previous = answers;
    }
    expect(violations).toBe(0);
  });
});
