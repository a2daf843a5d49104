import { randomUUID } from 'node:crypto';
import { chunkText } from './chunk-json.js';
import { ChunkWriter } from './chunk-writer.js';
import { PredictionRecord } from './prediction-record.js';
import { decide, type ServingPolicy } from '../policy/credit-policy.js';
import { BUILT_IN_POLICY } from '../policy/default-policy.js';
import {
  EDUCATION_LEVELS,
  EMPLOYMENT_STATUSES,
  GENDERS,
  GRADE_LETTERS,
  INPUT_FIELDS,
  LOAN_PURPOSES,
  LoanApplication,
  MARITAL_STATUSES,
} from '../contract/loan-application.contract.js';

const pick = <T>(xs: readonly T[]) => xs[Math.floor(Math.random() * xs.length)];
const awkward = () => pick([0.1 + 0.2, 1e-7, 123456789.125, 5e-324, 1 / 3, 52000, 0.16, Math.random() * 1e8]);

function randomApplication(): LoanApplication {
  return {
    annual_income: awkward(),
    debt_to_income_ratio: Math.random() * 10,
    credit_score: 300 + Math.floor(Math.random() * 551),
    loan_amount: awkward(),
    interest_rate: Math.random() * 100,
    gender: pick(GENDERS),
    marital_status: pick(MARITAL_STATUSES),
    education_level: pick(EDUCATION_LEVELS),
    employment_status: pick(EMPLOYMENT_STATUSES),
    loan_purpose: pick(LOAN_PURPOSES),
    grade_subgrade: `${pick([...GRADE_LETTERS])}${1 + Math.floor(Math.random() * 5)}`,
  };
}

/** A policy with a refer band, a knock-out and a segment, so answers carry every decision and rules fired. */
const BANDED: ServingPolicy = {
  policy_version: '20261205T000000Z-ab12cd3',
  description: 'test',
  knock_outs: [{ code: 'K01', field: 'debt_to_income_ratio', operator: '>', value: 8, text: 'High debt' }],
  cutoffs: {
    default: { approve_below: 0.2, decline_from: 0.4 },
    segments: [{ name: 'big', field: 'loan_amount', min: 1e7, cutoff: { approve_below: 0.1, decline_from: 0.3 } }],
  },
  examples: [],
};

describe('prediction records as columns (ChunkWriter, chunkText)', () => {
  it('writes every record byte for byte as JSON.stringify wrote the record object, grouped by date partition', () => {
    const writer = new ChunkWriter(5_000);
    const expected = new Map<string, string[]>();
    const RATING_GRADES = ['R1', 'R2', 'R3', 'R4'];
    for (let request = 0; request < 400; request++) {
      const size = 1 + Math.floor(Math.random() * 12);
      const applications = Array.from({ length: size }, randomApplication);
      // Requests decided by a policy with a refer band, by the built-in one, and (as records written before
      // policies were) by none.
      const policy = [BANDED, BUILT_IN_POLICY, undefined][request % 3];
      const answers = applications.map((application) => {
        const p = Math.fround(Math.random());
        const outcome = policy ? decide(policy, application, p, 0.3) : null;
        const answer: {
          prediction_id: string;
          probability_of_default: number;
          decision: 'approve' | 'refer' | 'decline';
          rating_grade?: string;
          rules_fired?: readonly string[];
          application_id?: string;
        } = {
          prediction_id: randomUUID(),
          probability_of_default: p,
          decision: outcome ? outcome.decision : p >= 0.3 ? 'decline' : 'approve',
          ...(outcome ? { rules_fired: outcome.rules_fired } : {}),
        };
        // Every other request comes from a version with a master scale: its answers carry a rating grade.
        if (request % 2 === 0) answer.rating_grade = RATING_GRADES[Math.min(3, Math.floor(p * 4))];
        if (Math.random() < 0.5)
          answer.application_id = pick(['app-1', 'quote"and\\backslash', 'ünïcode-✓', `id-${request}`]);
        return answer;
      });
      const time = Date.UTC(2026, 10, 25 + (request % 3), 23, 59, 59, request % 1000);
      const timestamp = new Date(time).toISOString();
      const group = {
        time,
        requestId:
          request % 7 === 0
            ? null
            : request % 5 === 0
              ? pick(['tab\there', 'ünï-✓', 'q"uote', '\u2028'])
              : `req-${request}`,
        modelVersion: request % 2 === 0 ? '20261126T214935Z-f0098e1' : '20261001T000000Z-0ld0000',
        threshold: 0.3,
        ...(policy ? { policy } : {}),
        ...(request % 2 === 0 ? { ratingGrades: RATING_GRADES } : {}),
        // Every fourth request also has a shadow version's scores.
        ...(request % 4 === 0
          ? {
              shadow: {
                version: '20261201T000000Z-5ad0000',
                threshold: 0.31,
                scores: applications.map(() => Math.fround(Math.random())),
              },
            }
          : {}),
      };
      writer.append(applications, answers, 0, size, group);
      answers.forEach((answer, i) => {
        const inputs = {} as Record<string, unknown>;
        for (const field of INPUT_FIELDS) inputs[field] = applications[i][field];
        const record: PredictionRecord = {
          prediction_id: answer.prediction_id,
          application_id: answer.application_id ?? null,
          inputs: inputs as unknown as LoanApplication,
          probability_of_default: answer.probability_of_default,
          decision: answer.decision,
          ...(answer.rating_grade !== undefined ? { rating_grade: answer.rating_grade } : {}),
          threshold: group.threshold,
          model_version: group.modelVersion,
          timestamp,
          request_id: group.requestId,
          ...(policy ? { policy_version: policy.policy_version, rules_fired: [...answer.rules_fired!] } : {}),
        };
        if (group.shadow) {
          const p = group.shadow.scores[i];
          record.shadow = {
            model_version: group.shadow.version,
            probability_of_default: p,
            // The shadow is decided under the same policy, at its own threshold.
            decision: policy
              ? decide(policy, applications[i], p, group.shadow.threshold).decision
              : p >= group.shadow.threshold
                ? 'decline'
                : 'approve',
          };
        }
        const partition = `dt=${timestamp.slice(0, 10)}`;
        expected.set(partition, [...(expected.get(partition) ?? []), JSON.stringify(record)]);
      });
    }
    const chunk = writer.take();
    expect(writer.rows).toBe(0);
    // The writer goes on filling the next chunk; the one taken must not change.
    const next = randomApplication();
    writer.append(
      [next],
      [
        {
          prediction_id: 'x'.repeat(200),
          probability_of_default: 0.5,
          decision: 'decline',
          application_id: 'y'.repeat(300),
        },
      ],
      0,
      1,
      {
        time: Date.now(),
        requestId: 'z'.repeat(100),
        modelVersion: 'other',
        threshold: 0.1,
      },
    );
    const lines = [...expected.values()].flat().join('\n');
    for (const needle of ['"decision":"refer"', '"rules_fired":["K01"]', '"rules_fired":["segment:big"]'])
      expect(lines).toContain(needle);
    const parts = chunkText(chunk);
    expect([...parts.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [partition, want] of expected) {
      const part = parts.get(partition)!;
      expect(part.records).toBe(want.length);
      expect(part.text.equals(Buffer.from(want.map((line) => `${line}\n`).join('')))).toBe(true);
    }
  });
});
