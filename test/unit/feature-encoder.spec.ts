import { readFileSync } from 'node:fs';
import path from 'node:path';
import { FeatureEncoder } from '../../service/src/preprocessing/feature-encoder.js';
import { FeatureSpec, featureSpecProblems } from '../../service/src/preprocessing/feature-spec.js';
import { VALID_APPLICATION } from '../helpers/applications.js';
import { DEMO_STORE } from '../helpers/paths.js';
import { lastJsonLine, runTraining } from '../../scripts/lib/python.js';

const version = JSON.parse(
  readFileSync(path.join(DEMO_STORE, 'loan-default/channels/production.json'), 'utf8'),
).version;
const manifest = JSON.parse(
  readFileSync(path.join(DEMO_STORE, `loan-default/versions/${version}/manifest.json`), 'utf8'),
);
const spec: FeatureSpec = manifest.feature_spec;
const clone = (): FeatureSpec => JSON.parse(JSON.stringify(spec));

describe('FeatureEncoder', () => {
  const encoder = new FeatureEncoder(spec);
  const names = spec.features.map((f) => f.name);
  const at = (row: Float32Array, name: string, r = 0) => row[r * encoder.width + names.indexOf(name)];

  it('builds one float32 row per application in the spec order', () => {
    const row = encoder.encode([VALID_APPLICATION]);
    expect(row).toBeInstanceOf(Float32Array);
    expect(row).toHaveLength(spec.features.length);
    expect(at(row, 'annual_income')).toBe(52000);
    expect(at(row, 'debt_to_income_ratio')).toBe(Math.fround(0.18));
    expect(at(row, 'credit_score')).toBe(702);
    // Protected attributes are monitoring only: not columns of the tensor.
    expect(names).not.toContain('gender');
    expect(names).not.toContain('marital_status');
    expect(spec.monitoring_only).toEqual(['gender', 'marital_status']);
    expect(at(row, 'education_level')).toBe(1); // Bachelor's
    expect(at(row, 'loan_purpose')).toBe(0); // Debt consolidation
    expect(at(row, 'grade')).toBe(1); // B
    expect(at(row, 'subgrade')).toBe(7); // B3 = 1 * 5 + 2
    expect(at(row, 'loan_to_income')).toBe(Math.fround(15000 / 52000));
  });

  it('puts a batch into one tensor, row after row', () => {
    const rows = encoder.encode([
      VALID_APPLICATION,
      { ...VALID_APPLICATION, grade_subgrade: 'G5', employment_status: 'Student' },
    ]);
    expect(rows).toHaveLength(2 * encoder.width);
    expect(at(rows, 'subgrade', 1)).toBe(34);
    expect(at(rows, 'grade', 1)).toBe(6);
    expect(at(rows, 'employment_status', 1)).toBe(4);
    expect(at(rows, 'subgrade', 0)).toBe(7);
  });

  it('builds, bit for bit, the tensor training builds for the canaries', async () => {
    const manifestPath = path.join(DEMO_STORE, `loan-default/versions/${version}/manifest.json`);
    const python = lastJsonLine<number[][]>(await runTraining(['features', '--manifest', manifestPath]));
    const rows = encoder.encode(manifest.canaries.map((c: { inputs: unknown }) => c.inputs));
    expect(Array.from(rows)).toEqual(python.flat());
    expect(python).toHaveLength(50);
  });
});

describe('featureSpecProblems', () => {
  it('accepts the demo model spec', () => {
    expect(featureSpecProblems(spec)).toEqual([]);
  });

  it.each([
    ['an unknown kind', (s: FeatureSpec) => ((s.features[0] as { kind: string }).kind = 'log'), "unknown kind 'log'"],
    [
      'a vocabulary value the contract does not allow',
      (s: FeatureSpec) => {
        const purpose = s.features.find((f) => f.name === 'loan_purpose') as { vocabulary: string[] };
        purpose.vocabulary.push('Unknown');
      },
      'not allowed by the contract',
    ],
    [
      'an input outside the contract',
      (s: FeatureSpec) => ((s.features[0] as { source: string }).source = 'age'),
      "'age' is not a numeric input",
    ],
    [
      'a ratio over a field that may be 0',
      (s: FeatureSpec) => {
        s.features.push({ name: 'r', kind: 'ratio', numerator: 'loan_amount', denominator: 'debt_to_income_ratio' });
        s.tensor.shape[1] = s.features.length;
      },
      'may be 0',
    ],
    ['a non-float32 tensor', (s: FeatureSpec) => (s.tensor.dtype = 'float64'), 'float32'],
    ['a newer spec version', (s: FeatureSpec) => (s.spec_version = 2), 'not supported'],
    ['a tensor width that does not match', (s: FeatureSpec) => (s.tensor.shape[1] = 3), 'does not match'],
  ])('rejects %s', (_name, breakIt, words) => {
    const broken = clone();
    breakIt(broken);
    expect(featureSpecProblems(broken).join('; ')).toContain(words);
    expect(() => new FeatureEncoder(broken)).toThrow(/does not fit the data contract/);
  });
});
