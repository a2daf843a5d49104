import { TreeEnsemble } from '../../service/src/explain/tree-ensemble.js';

/**
 * Exact Shapley values of the raw score by enumeration, with TreeSHAP's path-dependent value function
 * v(S) = E[f(x) | x_S] (features outside S follow both children weighted by cover). Exponential in the
 * number of features a tree uses: a reference for tests, never on the request path. Shapley values add up
 * over trees and a feature a tree does not use gets 0, so each tree is enumerated over its own features only.
 */
export function exactShapley(trees: TreeEnsemble, x: Float32Array, row = 0): Float64Array {
  const base = row * trees.width;
  const phi = new Float64Array(trees.width);
  for (let t = 0; t < trees.roots.length; t++) {
    const root = trees.roots[t];
    const used = [
      ...new Set(
        nodesOf(trees, root)
          .filter((n) => trees.feature[n] >= 0)
          .map((n) => trees.feature[n]),
      ),
    ];
    const m = used.length;
    const value = (mask: number): number => {
      const walk = (n: number): number => {
        const f = trees.feature[n];
        if (f < 0) return trees.value[n];
        const bit = used.indexOf(f);
        if (mask & (1 << bit)) return walk(x[base + f] <= trees.threshold[n] ? trees.left[n] : trees.right[n]);
        const l = trees.left[n];
        const r = trees.right[n];
        return (trees.cover[l] * walk(l) + trees.cover[r] * walk(r)) / trees.cover[n];
      };
      return walk(root);
    };
    const v = new Float64Array(1 << m);
    for (let mask = 0; mask < 1 << m; mask++) v[mask] = value(mask);
    const factorial = (k: number): number => (k <= 1 ? 1 : k * factorial(k - 1));
    for (let i = 0; i < m; i++) {
      let sum = 0;
      for (let mask = 0; mask < 1 << m; mask++) {
        if (mask & (1 << i)) continue;
        const size = popcount(mask);
        sum += ((factorial(size) * factorial(m - size - 1)) / factorial(m)) * (v[mask | (1 << i)] - v[mask]);
      }
      phi[used[i]] += sum;
    }
  }
  return phi;
}

function nodesOf(trees: TreeEnsemble, root: number): number[] {
  const out: number[] = [];
  const stack = [root];
  while (stack.length > 0) {
    const n = stack.pop()!;
    out.push(n);
    if (trees.feature[n] >= 0) stack.push(trees.left[n], trees.right[n]);
  }
  return out;
}

function popcount(x: number): number {
  let count = 0;
  for (; x; x &= x - 1) count++;
  return count;
}
