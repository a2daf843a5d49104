import type { FairnessTable, GroupFigures } from '../../service/src/monitoring/fairness.js';
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
