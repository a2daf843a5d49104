import { normalCdf } from './special-functions.js';

/** Midranks (1-based, ties share their mean rank) of a list. */
function midranks(values: number[]): Float64Array {
  const order = values.map((_, i) => i).sort((a, b) => values[a] - values[b]);
  const ranks = new Float64Array(values.length);
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j + 1 < order.length && values[order[j + 1]] === values[order[i]]) j++;
    for (let k = i; k <= j; k++) ranks[order[k]] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return ranks;
}

export interface AucWithInterval {
  auc: number;
  /** DeLong's standard error of the AUC. */
  standard_error: number;
  /** 95% interval, AUC +- 1.96 standard errors, clipped to [0, 1]. */
  interval_95: [number, number];
}

/**
 * ROC-AUC of `p` ranking defaults (y = 1) above non-defaults, with DeLong's variance (Sun and Xu's fast
 * algorithm: midranks of the positives, the negatives and both together). Null when one class is absent.
 */
export function aucDeLong(y: ArrayLike<number>, p: ArrayLike<number>): AucWithInterval | null {
  const positives: number[] = [];
  const negatives: number[] = [];
  for (let i = 0; i < p.length; i++) (y[i] === 1 ? positives : negatives).push(p[i]);
  const m = positives.length;
  const n = negatives.length;
  if (m === 0 || n === 0) return null;
  const rankAll = midranks([...positives, ...negatives]);
  const rankPos = midranks(positives);
  const rankNeg = midranks(negatives);
  let sumPos = 0;
  for (let i = 0; i < m; i++) sumPos += rankAll[i];
  const auc = (sumPos - (m * (m + 1)) / 2) / (m * n);
  // Structural components: each positive's share of negatives it outranks, each negative's of positives above it.
  const v10 = Array.from({ length: m }, (_, i) => (rankAll[i] - rankPos[i]) / n);
  const v01 = Array.from({ length: n }, (_, j) => 1 - (rankAll[m + j] - rankNeg[j]) / m);
  const variance = (values: number[]) => {
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    return values.length > 1 ? values.reduce((s, v) => s + (v - mean) ** 2, 0) / (values.length - 1) : 0;
  };
  const standardError = Math.sqrt(variance(v10) / m + variance(v01) / n);
  return {
    auc,
    standard_error: standardError,
    interval_95: [Math.max(0, auc - 1.96 * standardError), Math.min(1, auc + 1.96 * standardError)],
  };
}

/**
 * ECB's test of the current AUC against the AUC at initial validation: S = (AUC_initial - AUC_current) / s_current,
 * p = 1 - Phi(S). A small p says discrimination has deteriorated since the model was validated.
 */
export function aucDeteriorationTest(
  initialAuc: number,
  current: AucWithInterval,
): { statistic: number; p_value: number } {
  const statistic = current.standard_error > 0 ? (initialAuc - current.auc) / current.standard_error : 0;
  return { statistic, p_value: 1 - normalCdf(statistic) };
}

/** The Herfindahl index of a distribution over grades: the sum of squared shares (1/k even, 1 all in one). */
export function herfindahl(counts: number[]): number {
  const total = counts.reduce((a, b) => a + b, 0);
  return total ? counts.reduce((s, c) => s + (c / total) ** 2, 0) : 0;
}
