import type { FairnessTable, GroupFigures } from '../../service/src/monitoring/fairness.js';
import { seededRandom } from '../seeded-random.js';
import { backtest } from '../backtesting/backtest.js';
import { recalibrate } from '../../test/helpers/platt-scaling.js';
import { DEFAULT_GATE_LIMITS, GateInput, judgePromotion } from './gate.js';

const group = (approval_rate: number, adverse_impact_ratio: number | null, count = 500): GroupFigures =>
  ({ count, approval_rate, adverse_impact_ratio }) as GroupFigures;
const fair: FairnessTable = {
  gender: { Female: group(0.8, 1), Male: group(0.78, 0.975) },
  marital_status: { Single: group(0.8, 1), Married: group(0.79, 0.99) },
} as FairnessTable;

const input = (overrides: Partial<GateInput> = {}): GateInput => ({
  names: { model: 'candidate', incumbent: "production's" },
  model: { roc_auc: 0.8, fairness: fair },
  incumbent: { roc_auc: 0.79 },
  mustBeatIncumbent: false,
  rows: 2_000,
  limits: DEFAULT_GATE_LIMITS,
  ...overrides,
});

describe('the promotion gate', () => {
  it('passes a model above the floor, within the drop of the incumbent, fair to every group, and says why', () => {
    const verdict = judgePromotion(input());
    expect(verdict).toEqual({
      passed: true,
      reasons: [
        expect.stringMatching(
          /^candidate ROC-AUC 0\.8000 >= 0\.7 and >= production's 0\.7900 - 0\.01, on 2000 applications/,
        ),
      ],
    });
    expect(judgePromotion(input({ incumbent: null })).reasons[0]).toMatch(/no production model yet/);
  });

  it('refuses below the ROC-AUC floor', () => {
    expect(judgePromotion(input({ model: { roc_auc: 0.69, fairness: fair }, incumbent: null }))).toEqual({
      passed: false,
      reasons: ['candidate ROC-AUC 0.6900 is below the minimum 0.7'],
    });
  });

  it('refuses a drop of more than maxDrop below the incumbent, but lets a retrain hold level', () => {
    expect(judgePromotion(input({ incumbent: { roc_auc: 0.82 } })).reasons).toEqual([
      "candidate ROC-AUC 0.8000 is more than 0.01 below production's 0.8200",
    ]);
    expect(judgePromotion(input({ incumbent: { roc_auc: 0.805 } })).passed).toBe(true);
  });

  it('makes a challenger beat the champion when asked to', () => {
    const names = { model: 'challenger', incumbent: "the champion's" };
    const tie = judgePromotion(input({ names, incumbent: { roc_auc: 0.8 }, mustBeatIncumbent: true }));
    expect(tie.reasons).toEqual(["challenger ROC-AUC 0.8000 does not beat the champion's 0.8000"]);
    expect(judgePromotion(input({ names, incumbent: { roc_auc: 0.79 }, mustBeatIncumbent: true })).reasons[0]).toMatch(
      /beats the champion's 0\.7900/,
    );
  });

  it('refuses a model whose adverse impact ratio for any judged group is below minAir, naming the group', () => {
    const unfair = { ...fair, gender: { Female: group(0.8, 1), Male: group(0.6, 0.75, 420) } } as FairnessTable;
    expect(judgePromotion(input({ model: { roc_auc: 0.8, fairness: unfair } }))).toEqual({
      passed: false,
      reasons: [
        "candidate's adverse impact ratio for gender=Male is 0.750 (approval rate 0.600 over 420 applications), below the minimum 0.8",
      ],
    });
    // A group too small to judge (ratio null) is not held against the model.
    const small = { ...fair, gender: { Female: group(0.8, 1), Other: group(0.2, null, 12) } } as FairnessTable;
    expect(judgePromotion(input({ model: { roc_auc: 0.8, fairness: small } })).passed).toBe(true);
  });
});

describe('the calibration rules', () => {
  const next = seededRandom(23);
  const truth = Array.from({ length: 4_000 }, () => 0.02 + next() ** 1.5 * 0.6);
  const defaulted = truth.map((t) => (next() < t ? 1 : 0));
  const scale = {
    grades: [0.04, 0.08, 0.12, 0.18, 0.26, 0.36, 0.48, 1].map((upper, i) => ({ grade: `R${i + 1}`, upper })),
  };
  const judged = (p: number[]) =>
    input({ model: { roc_auc: 0.8, fairness: fair, calibration: backtest(defaulted, p, scale) } });

  it('refuses a model whose probabilities are 30% too low (same ranking, same AUC), naming the red grades', () => {
    const low = truth.map((t) => t * 0.7);
    const verdict = judgePromotion(judged(low));
    expect(verdict.passed).toBe(false);
    expect(verdict.reasons).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^candidate's grade R\d is red: \d+ defaults in \d+ applications \(.*%\) against a mean probability of default of/,
        ),
        expect.stringMatching(
          /^candidate's expected calibration error [\d.]+% exceeds its sampling noise \([\d.]+% on \d+ rows\) by [\d.]+%, over the limit 2\.00%$/,
        ),
      ]),
    );
  });

  it('passes the same model recalibrated, and says so', () => {
    const low = truth.map((t) => t * 0.7);
    const verdict = judgePromotion(judged(recalibrate(low, defaulted)));
    expect(verdict).toEqual({
      passed: true,
      reasons: [
        expect.stringMatching(
          /no grade red \(worst (green|yellow)\), expected calibration error [\d.]+% within 2\.00% of its sampling noise [\d.]+%$/,
        ),
      ],
    });
  });

  it('holds the expected calibration error to --max-ece even when no grade is red', () => {
    const slightlyHigh = truth.map((t) => Math.min(0.99, t * 1.15));
    const strict = judgePromotion({ ...judged(slightlyHigh), limits: { ...DEFAULT_GATE_LIMITS, maxEce: 0.005 } });
    expect(strict.reasons).toEqual([expect.stringMatching(/expected calibration error .* over the limit 0\.50%$/)]);
  });
});
