/**
 * (For tests: what a risk team does by hand to a model the gate refused; the product does not recalibrate this way.)
 * Platt scaling in log-odds: logit(p') = a * logit(p) + b, fitted by Newton's method on the log-likelihood of the
 * observed defaults. It keeps the ranking (a > 0) and moves the probabilities to the default rates seen: what a risk
 * team does to a model that ranks well but promises too little.
 */
export interface PlattScaling {
  a: number;
  b: number;
}

const logit = (p: number) => {
  const q = Math.min(1 - 1e-12, Math.max(1e-12, p));
  return Math.log(q / (1 - q));
};
const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

export function fitPlatt(p: ArrayLike<number>, defaulted: ArrayLike<number>, iterations = 50): PlattScaling {
  let a = 1;
  let b = 0;
  const x = Array.from(p, logit);
  for (let step = 0; step < iterations; step++) {
    // Gradient and Hessian of the negative log-likelihood in (a, b).
    let ga = 0;
    let gb = 0;
    let haa = 0;
    let hab = 0;
    let hbb = 0;
    for (let i = 0; i < x.length; i++) {
      const q = sigmoid(a * x[i] + b);
      const r = q - defaulted[i];
      const w = q * (1 - q);
      ga += r * x[i];
      gb += r;
      haa += w * x[i] * x[i];
      hab += w * x[i];
      hbb += w;
    }
    const det = haa * hbb - hab * hab;
    if (!(Math.abs(det) > 1e-12)) break;
    const da = (hbb * ga - hab * gb) / det;
    const db = (haa * gb - hab * ga) / det;
    a -= da;
    b -= db;
    if (Math.abs(da) < 1e-10 && Math.abs(db) < 1e-10) break;
  }
  return { a, b };
}

export const applyPlatt = ({ a, b }: PlattScaling, p: ArrayLike<number>): number[] =>
  Array.from(p, (v) => sigmoid(a * logit(v) + b));

/** The probabilities recalibrated on the outcomes they are judged by (fit and apply in one). */
export const recalibrate = (p: ArrayLike<number>, defaulted: ArrayLike<number>): number[] =>
  applyPlatt(fitPlatt(p, defaulted), p);
