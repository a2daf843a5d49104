import {
  binomialTest,
  brierScore,
  eceSamplingNoise,
  expectedCalibrationError,
  hosmerLemeshow,
  HosmerLemeshow,
  jeffreysTest,
} from './calibration.js';
import { aucDeLong, aucDeteriorationTest, AucWithInterval, herfindahl } from './discrimination.js';
import { gradeOf, MasterScale } from '../../service/src/model/master-scale.js';
import { DEFAULT_MIN_GRADE_COUNT, TrafficLight, trafficLight, worstLight } from './traffic-lights.js';

/** One grade's promise against what happened. */
export interface GradeBacktest {
  grade: string;
  upper: number;
  count: number;
  defaults: number;
  mean_pd: number;
  observed_default_rate: number | null;
  jeffreys_p: number | null;
  binomial_p: number | null;
  light: TrafficLight;
}

export interface Backtest {
  count: number;
  defaults: number;
  grades: GradeBacktest[];
  portfolio: {
    mean_pd: number;
    observed_default_rate: number;
    jeffreys_p: number;
    binomial_p: number;
    light: TrafficLight;
    hosmer_lemeshow: HosmerLemeshow;
    expected_calibration_error: number;
    /** What sampling alone gives the ECE on these rows, and how far the ECE exceeds it (never below 0). */
    ece_sampling_noise: number;
    excess_calibration_error: number;
    brier: number;
    auc: AucWithInterval | null;
    /** ECB's test against the AUC at initial validation, when that is known. */
    auc_deterioration: { initial_auc: number; statistic: number; p_value: number } | null;
    /** Herfindahl index of the grade distribution. */
    herfindahl: number;
  };
  /** The worst light among the judged grades and the portfolio. */
  worst_light: Exclude<TrafficLight, 'too_few'>;
  /** Grades judged red, by name. */
  red_grades: string[];
  min_grade_count: number;
}

/**
 * Backtests probabilities of default against outcomes (y = 1: defaulted), per grade of the master scale and for
 * the portfolio: calibration (Jeffreys, binomial, Hosmer-Lemeshow, expected calibration error, Brier),
 * discrimination (AUC with DeLong's interval, against the initial AUC when given) and concentration (Herfindahl).
 */
export function backtest(
  y: ArrayLike<number>,
  p: ArrayLike<number>,
  scale: MasterScale,
  { initialAuc, minGradeCount = DEFAULT_MIN_GRADE_COUNT }: { initialAuc?: number; minGradeCount?: number } = {},
): Backtest {
  if (y.length !== p.length) throw new RangeError(`${y.length} outcomes for ${p.length} probabilities`);
  const byGrade = new Map(scale.grades.map((g) => [g.grade, { count: 0, defaults: 0, sumPd: 0 }]));
  let defaults = 0;
  let sumPd = 0;
  for (let i = 0; i < p.length; i++) {
    const cell = byGrade.get(gradeOf(scale, p[i]))!;
    cell.count++;
    cell.defaults += y[i];
    cell.sumPd += p[i];
    defaults += y[i];
    sumPd += p[i];
  }
  const grades: GradeBacktest[] = scale.grades.map(({ grade, upper }) => {
    const { count, defaults: d, sumPd: s } = byGrade.get(grade)!;
    const meanPd = count ? s / count : 0;
    const jeffreys = count ? jeffreysTest(count, d, meanPd) : null;
    return {
      grade,
      upper,
      count,
      defaults: d,
      mean_pd: meanPd,
      observed_default_rate: count ? d / count : null,
      jeffreys_p: jeffreys,
      binomial_p: count ? binomialTest(count, d, meanPd) : null,
      light: jeffreys === null ? 'too_few' : trafficLight(jeffreys, count, minGradeCount),
    };
  });
  const n = p.length;
  const portfolioPd = n ? sumPd / n : 0;
  const portfolioJeffreys = n ? jeffreysTest(n, defaults, portfolioPd) : 1;
  const auc = aucDeLong(y, p);
  const portfolioLight = trafficLight(portfolioJeffreys, n, minGradeCount);
  const ece = expectedCalibrationError(y, p);
  const noise = eceSamplingNoise(p);
  return {
    count: n,
    defaults,
    grades,
    portfolio: {
      mean_pd: portfolioPd,
      observed_default_rate: n ? defaults / n : 0,
      jeffreys_p: portfolioJeffreys,
      binomial_p: n ? binomialTest(n, defaults, portfolioPd) : 1,
      light: portfolioLight,
      hosmer_lemeshow: hosmerLemeshow(y, p),
      expected_calibration_error: ece,
      ece_sampling_noise: noise,
      excess_calibration_error: Math.max(0, ece - noise),
      brier: brierScore(y, p),
      auc,
      auc_deterioration:
        auc && initialAuc !== undefined ? { initial_auc: initialAuc, ...aucDeteriorationTest(initialAuc, auc) } : null,
      herfindahl: herfindahl(grades.map((g) => g.count)),
    },
    worst_light: worstLight([...grades.map((g) => g.light), portfolioLight]),
    red_grades: grades.filter((g) => g.light === 'red').map((g) => g.grade),
    min_grade_count: minGradeCount,
  };
}
