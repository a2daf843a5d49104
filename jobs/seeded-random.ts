/**
 * A seeded generator of numbers in [0, 1) (a 32-bit linear congruential one): a job's draws (bootstrap resamples, a
 * simulated year's outcomes) and a test's data come out the same on every run.
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}
