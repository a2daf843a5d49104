import { chiSquareSurvival, regularizedBeta } from './special-functions.js';

/**
 * Calibration tests of a probability of default against observed defaults. One-sided throughout: a backtest
 * asks whether defaults exceed what was promised (the risk a lender under-provisions for), as ECB's
 * instructions for reporting IRB validation results do.
 */

/**
 * ECB's Jeffreys test of a grade: with N obligors, D defaults and the grade's mean PD, p = the CDF of
 * Beta(D + 1/2, N - D + 1/2) at PD. A small p says the observed default rate is too high for the PD.
 */
export function jeffreysTest(n: number, defaults: number, pd: number): number {
  if (!(n > 0) || defaults < 0 || defaults > n)
    throw new RangeError(`need 0 <= D <= N and N > 0, got N=${n}, D=${defaults}`);
  return regularizedBeta(pd, defaults + 0.5, n - defaults + 0.5);
}

/** The one-sided binomial test: P(X >= D) for X ~ Binomial(N, PD). */
export function binomialTest(n: number, defaults: number, pd: number): number {
  if (defaults <= 0) return 1;
  // P(X >= D) = I_pd(D, N - D + 1).
  return regularizedBeta(pd, defaults, n - defaults + 1);
}

export interface HosmerLemeshow {
  statistic: number;
  /** Degrees of freedom: groups - 2. */
  degrees: number;
  p_value: number;
}

/**
 * Hosmer-Lemeshow over groups (by default ten groups of equal count by predicted probability): the chi-square
 * of observed against expected defaults, with groups - 2 degrees of freedom.
 */
export function hosmerLemeshow(y: ArrayLike<number>, p: ArrayLike<number>, groups = 10): HosmerLemeshow {
  const order = Array.from({ length: p.length }, (_, i) => i).sort((a, b) => p[a] - p[b]);
  let statistic = 0;
  let used = 0;
  for (let g = 0; g < groups; g++) {
    const from = Math.floor((g * order.length) / groups);
    const to = Math.floor(((g + 1) * order.length) / groups);
    if (to <= from) continue;
    used++;
    let observed = 0;
    let expected = 0;
    for (let k = from; k < to; k++) {
      observed += y[order[k]];
      expected += p[order[k]];
    }
    const n = to - from;
    const mean = expected / n;
    if (mean > 0 && mean < 1) statistic += (observed - expected) ** 2 / (n * mean * (1 - mean));
  }
  const degrees = Math.max(1, used - 2);
  return { statistic, degrees, p_value: chiSquareSurvival(statistic, degrees) };
}

/**
 * Expected calibration error over bins of equal width in probability (ten by default): the mean, weighted by the
 * bins' counts, of |observed default rate - mean predicted probability|.
 */
export function expectedCalibrationError(y: ArrayLike<number>, p: ArrayLike<number>, bins = 10): number {
  const count = new Float64Array(bins);
  const sumY = new Float64Array(bins);
  const sumP = new Float64Array(bins);
  for (let i = 0; i < p.length; i++) {
    const b = Math.min(bins - 1, Math.floor(p[i] * bins));
    count[b]++;
    sumY[b] += y[i];
    sumP[b] += p[i];
  }
  let error = 0;
  for (let b = 0; b < bins; b++) if (count[b] > 0) error += Math.abs(sumY[b] - sumP[b]);
  return p.length ? error / p.length : 0;
}

/**
 * What the expected calibration error measures from sampling alone when the probabilities are true: in each bin
 * the observed rate's mean absolute deviation, sqrt(2/pi) times its standard deviation, weighted like the ECE.
 * On 2,000 rows it is one or two points: an ECE is judged by how far it exceeds this, not by itself.
 */
export function eceSamplingNoise(p: ArrayLike<number>, bins = 10): number {
  const variance = new Float64Array(bins);
  for (let i = 0; i < p.length; i++) variance[Math.min(bins - 1, Math.floor(p[i] * bins))] += p[i] * (1 - p[i]);
  let noise = 0;
  for (let b = 0; b < bins; b++) noise += Math.sqrt((2 / Math.PI) * variance[b]);
  return p.length ? noise / p.length : 0;
}

export function brierScore(y: ArrayLike<number>, p: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < p.length; i++) sum += (p[i] - y[i]) ** 2;
  return p.length ? sum / p.length : 0;
}
