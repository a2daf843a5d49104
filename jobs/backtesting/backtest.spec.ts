import { backtest } from './backtest.js';
import { seededRandom } from '../seeded-random.js';
import {
  binomialTest,
  eceSamplingNoise,
  expectedCalibrationError,
  hosmerLemeshow,
  jeffreysTest,
} from './calibration.js';
import { aucDeLong, aucDeteriorationTest, herfindahl } from './discrimination.js';
import { gradeOf } from '../../service/src/model/master-scale.js';
import { chiSquareSurvival, logGamma, normalCdf, regularizedBeta } from './special-functions.js';
import { trafficLight, worstLight } from './traffic-lights.js';

describe('special functions (scipy 1.x values)', () => {
  it.each([
    [0.6, 2.5, 4.5, 0.9072819965517556],
    [0.999, 0.5, 0.5, 0.9798649583666225],
  ])('I_%f(%f, %f) = %f', (x, a, b, expected) => expect(regularizedBeta(x, a, b)).toBeCloseTo(expected, 10));

  it('log-gamma, chi-square survival and the normal CDF', () => {
    expect(logGamma(0.3)).toBeCloseTo(1.0957979948180756, 10);
    expect(logGamma(1000.5)).toBeCloseTo(5908.674175848678, 8);
    expect(chiSquareSurvival(15.5, 8)).toBeCloseTo(0.0501220545326652, 10);
    expect(chiSquareSurvival(3.2, 2)).toBeCloseTo(0.2018965179946554, 10);
    expect(chiSquareSurvival(40, 8)).toBeCloseTo(3.203719780476998e-6, 12);
    expect(normalCdf(1.96)).toBeCloseTo(0.9750021048517795, 6);
    expect(normalCdf(-2.5)).toBeCloseTo(0.006209665325776132, 6);
  });
});

describe('calibration tests', () => {
  it("gives ECB's Jeffreys p-values and the one-sided binomial test's (golden values from scipy)", () => {
    expect(jeffreysTest(6, 2, 0.0367)).toBeCloseTo(0.00438, 5);
    expect(jeffreysTest(1000, 30, 0.02)).toBeCloseTo(0.0162, 4);
    expect(binomialTest(1000, 30, 0.02)).toBeCloseTo(0.0207, 4);
    expect(binomialTest(1000, 0, 0.02)).toBe(1);
    expect(() => jeffreysTest(10, 11, 0.1)).toThrow(RangeError);
  });

  it('Hosmer-Lemeshow and the expected calibration error see probabilities 30% too low; Brier-level data does not', () => {
    const next = seededRandom(11);
    const truth = Array.from({ length: 20_000 }, () => 0.02 + next() * 0.4);
    const y = truth.map((t) => (next() < t ? 1 : 0));
    const calibrated = hosmerLemeshow(y, truth);
    const low = hosmerLemeshow(
      y,
      truth.map((t) => t * 0.7),
    );
    expect(calibrated.p_value).toBeGreaterThan(0.001);
    expect(low.p_value).toBeLessThan(1e-10);
    expect(expectedCalibrationError(y, truth)).toBeLessThan(0.01);
    // An honest model's ECE is about its sampling noise; 30% too low is far above it.
    expect(Math.abs(expectedCalibrationError(y, truth) - eceSamplingNoise(truth))).toBeLessThan(0.004);
    expect(
      expectedCalibrationError(
        y,
        truth.map((t) => t * 0.7),
      ),
    ).toBeGreaterThan(0.05);
  });
});

describe('discrimination and concentration', () => {
  it("gives the AUC and DeLong's standard error of the pairwise definition, and ECB's deterioration test", () => {
    const next = seededRandom(5);
    const p = Array.from({ length: 300 }, () => Math.round(next() * 50) / 100);
    const y = p.map((v) => (next() < v + 0.1 ? 1 : 0));
    // The definitions, pair by pair (ties count a half).
    const pos = p.filter((_, i) => y[i] === 1);
    const neg = p.filter((_, i) => y[i] === 0);
    const psi = (a: number, b: number) => (a > b ? 1 : a === b ? 0.5 : 0);
    const v10 = pos.map((a) => neg.reduce((s, b) => s + psi(a, b), 0) / neg.length);
    const v01 = neg.map((b) => pos.reduce((s, a) => s + psi(a, b), 0) / pos.length);
    const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
    const sampleVar = (v: number[]) => v.reduce((s, x) => s + (x - mean(v)) ** 2, 0) / (v.length - 1);
    const result = aucDeLong(y, p)!;
    expect(result.auc).toBeCloseTo(mean(v10), 12);
    expect(result.standard_error).toBeCloseTo(Math.sqrt(sampleVar(v10) / pos.length + sampleVar(v01) / neg.length), 12);
    expect(aucDeLong([1, 1], [0.2, 0.3])).toBeNull();
    // An AUC two standard errors under its initial value: p about 0.023.
    const worse = aucDeteriorationTest(result.auc + 2 * result.standard_error, result);
    expect(worse.statistic).toBeCloseTo(2, 10);
    expect(worse.p_value).toBeCloseTo(0.02275, 4);
  });

  it('computes the Herfindahl index of a grade distribution', () => {
    expect(herfindahl([25, 25, 25, 25])).toBeCloseTo(0.25, 12);
    expect(herfindahl([100, 0, 0])).toBe(1);
  });
});

describe('traffic lights and the backtest', () => {
  it('lights green at p >= 0.05, yellow down to 0.001, red below, and does not judge a small grade', () => {
    expect([0.2, 0.05, 0.049, 0.001, 0.0009].map((p) => trafficLight(p, 100))).toEqual([
      'green',
      'green',
      'yellow',
      'yellow',
      'red',
    ]);
    expect(trafficLight(1e-9, 29)).toBe('too_few');
    expect(worstLight(['green', 'too_few', 'yellow'])).toBe('yellow');
    expect(worstLight(['too_few'])).toBe('green');
  });

  const scale = {
    grades: [
      { grade: 'R1', upper: 0.05 },
      { grade: 'R2', upper: 0.1 },
      { grade: 'R3', upper: 0.2 },
      { grade: 'R4', upper: 1 },
    ],
  };

  it('grades by the master scale: a grade holds probabilities up to its upper bound', () => {
    expect([0, 0.05, 0.050001, 0.2, 0.99].map((p) => gradeOf(scale, p))).toEqual(['R1', 'R1', 'R2', 'R3', 'R4']);
  });

  it('is green when probabilities are true, and names the red grades when they are 30% too low', () => {
    const next = seededRandom(17);
    const truth = Array.from({ length: 40_000 }, () => 0.01 + next() ** 2 * 0.5);
    const y = truth.map((t) => (next() < t ? 1 : 0));
    const honest = backtest(y, truth, scale, { initialAuc: 0.7 });
    expect(honest.worst_light === 'green' || honest.worst_light === 'yellow').toBe(true);
    expect(honest.red_grades).toEqual([]);
    expect(honest.grades.reduce((n, g) => n + g.count, 0)).toBe(40_000);
    const low = backtest(
      y,
      truth.map((t) => t * 0.7),
      scale,
    );
    expect(low.worst_light).toBe('red');
    expect(low.red_grades.length).toBeGreaterThan(0);
    expect(low.portfolio.expected_calibration_error).toBeGreaterThan(honest.portfolio.expected_calibration_error);
    // The ranking is the same, so is the AUC.
    expect(low.portfolio.auc!.auc).toBeCloseTo(honest.portfolio.auc!.auc, 12);
  });
});
