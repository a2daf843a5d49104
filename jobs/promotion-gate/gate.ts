import { FairnessTable, FOUR_FIFTHS } from '../../service/src/monitoring/fairness.js';
import type { Backtest } from '../backtesting/backtest.js';

/**
 * The promotion gate: whether a model may replace the one serving. One function for every job that judges a
 * model (retraining's candidate on the holdout, comparison's challenger on real outcomes), so a rule changes
 * in one place and every report words it the same way.
 */

/** What a model must reach; the jobs' --min-auc, --max-drop and --min-air. */
export interface GateLimits {
  /** The lowest ROC-AUC a model may serve with. */
  minAuc: number;
  /** How far below the incumbent's ROC-AUC it may be. */
  maxDrop: number;
  /** The lowest adverse impact ratio for any protected group of at least MIN_AIR_GROUP applications. */
  minAir: number;
  /**
   * How far a model's expected calibration error on the judged rows may exceed what sampling alone gives it (see
   * eceSamplingNoise). A grade judged red by the Jeffreys test refuses the model whatever this is.
   */
  maxEce: number;
}

/**
 * maxEce 0.02, from 200 simulated draws each: an honest model's ECE on 1,500 rows spread over every probability
 * averages 2.6% (95th percentile 3.7%), about its sampling noise (2.6%), and exceeds that noise by at most 1.1% in
 * 95 of 100; probabilities 30% too low (same ranking, same AUC) on 2,000 rows of PDs 2-50% exceed it by 2.9% at
 * the least, 5.1% on average.
 */
export const DEFAULT_GATE_LIMITS: GateLimits = { minAuc: 0.7, maxDrop: 0.01, minAir: FOUR_FIFTHS, maxEce: 0.02 };

/** Groups smaller than this are not judged by the fairness rule: their approval rates are too noisy. */
export const MIN_AIR_GROUP = 100;

export interface GateInput {
  /** What the reports call the model judged ('candidate', 'challenger') and the one serving ("production's"). */
  names: { model: string; incumbent: string };
  /** `calibration`: the model's probabilities backtested on the judged rows, per grade of its master scale. */
  model: { roc_auc: number; fairness: FairnessTable; calibration?: Backtest | null };
  /** The serving model on the same rows; null when nothing serves yet. */
  incumbent: { roc_auc: number } | null;
  /**
   * Require a strictly higher ROC-AUC than the incumbent (a challenger must earn the switch; a retrain may hold level).
   */
  mustBeatIncumbent: boolean;
  /** The number of rows judged, for the reason a passing model gets. */
  rows: number;
  limits: GateLimits;
}

export interface GateVerdict {
  passed: boolean;
  /** Each failed rule, in words; or, when it passed, one line saying why. */
  reasons: string[];
}

const auc = (value: number) => value.toFixed(4);
const percent = (value: number) => `${(value * 100).toFixed(2)}%`;

/** The calibration rules: no judged grade (nor the portfolio) red, the expected calibration error within the limit. */
function calibrationReasons(name: string, test: Backtest, maxEce: number): string[] {
  const reasons = test.grades
    .filter((g) => g.light === 'red')
    .map(
      (g) =>
        `${name}'s grade ${g.grade} is red: ${g.defaults} defaults in ${g.count} applications ` +
        `(${percent(g.observed_default_rate!)}) against a mean probability of default of ${percent(g.mean_pd)} ` +
        `(Jeffreys p ${g.jeffreys_p!.toExponential(1)})`,
    );
  if (test.portfolio.light === 'red')
    reasons.push(
      `${name}'s probabilities are red for the portfolio: ${percent(test.portfolio.observed_default_rate)} defaulted ` +
        `against a mean of ${percent(test.portfolio.mean_pd)} (Jeffreys p ${test.portfolio.jeffreys_p.toExponential(1)})`,
    );
  if (test.portfolio.excess_calibration_error > maxEce)
    reasons.push(
      `${name}'s expected calibration error ${percent(test.portfolio.expected_calibration_error)} exceeds its ` +
        `sampling noise (${percent(test.portfolio.ece_sampling_noise)} on ${test.count} rows) by ` +
        `${percent(test.portfolio.excess_calibration_error)}, over the limit ${percent(maxEce)}`,
    );
  return reasons;
}

export function judgePromotion(input: GateInput): GateVerdict {
  const { names, model, incumbent, limits } = input;
  const reasons: string[] = [];
  if (!(model.roc_auc >= limits.minAuc))
    reasons.push(`${names.model} ROC-AUC ${auc(model.roc_auc)} is below the minimum ${limits.minAuc}`);
  if (incumbent && !(model.roc_auc >= incumbent.roc_auc - limits.maxDrop)) {
    reasons.push(
      `${names.model} ROC-AUC ${auc(model.roc_auc)} is more than ${limits.maxDrop} below ${names.incumbent} ${auc(incumbent.roc_auc)}`,
    );
  }
  if (incumbent && input.mustBeatIncumbent && !(model.roc_auc > incumbent.roc_auc)) {
    reasons.push(
      `${names.model} ROC-AUC ${auc(model.roc_auc)} does not beat ${names.incumbent} ${auc(incumbent.roc_auc)}`,
    );
  }
  for (const [attribute, groups] of Object.entries(model.fairness)) {
    for (const [group, figures] of Object.entries(groups)) {
      if (figures.adverse_impact_ratio !== null && figures.adverse_impact_ratio < limits.minAir) {
        reasons.push(
          `${names.model}'s adverse impact ratio for ${attribute}=${group} is ${figures.adverse_impact_ratio.toFixed(3)} ` +
            `(approval rate ${figures.approval_rate!.toFixed(3)} over ${figures.count} applications), below the minimum ${limits.minAir}`,
        );
      }
    }
  }
  if (model.calibration) reasons.push(...calibrationReasons(names.model, model.calibration, limits.maxEce));
  if (reasons.length > 0) return { passed: false, reasons };
  const against = !incumbent
    ? ' (no production model yet)'
    : input.mustBeatIncumbent
      ? ` and beats ${names.incumbent} ${auc(incumbent.roc_auc)}`
      : ` and >= ${names.incumbent} ${auc(incumbent.roc_auc)} - ${limits.maxDrop}`;
  return {
    passed: true,
    reasons: [
      `${names.model} ROC-AUC ${auc(model.roc_auc)} >= ${limits.minAuc}${against}, on ${input.rows} applications; no protected group below ${limits.minAir}` +
        (model.calibration
          ? `; no grade red (worst ${model.calibration.worst_light}), expected calibration error ` +
            `${percent(model.calibration.portfolio.expected_calibration_error)} within ${percent(limits.maxEce)} of ` +
            `its sampling noise ${percent(model.calibration.portfolio.ece_sampling_noise)}`
          : ''),
    ],
  };
}
