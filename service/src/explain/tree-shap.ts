import { TreeEnsemble } from './tree-ensemble.js';

/**
 * Path-dependent TreeSHAP (Lundberg, Erion and Lee 2018): exact Shapley values of the raw score, where a
 * feature left out follows both children weighted by their covers; they sum with the expected raw score to the
 * row's raw score.
 *
 * A leaf's share of each feature depends on the row only through which of the features on its path the row
 * satisfies (all of the path's splits on that feature), and so a whole tree's shares depend only on which way
 * the row goes at each of its split nodes. With at most MAX_TABLE_SPLITS splits a tree gets a table of its
 * features' contributions for every combination of directions, computed at model load with Algorithm 2's path
 * weights (extend, then the unwound sums); a row then costs, per tree, one comparison per split and one
 * addition per feature the tree uses. Measured on the demo model (198 trees of 8 leaves), per row: 367 us with
 * the recursion, 33 us with a table per leaf, about 4 us with a table per tree.
 */
export const MAX_TABLE_SPLITS = 12;
/**
 * The most bytes of tables one model may need. The demo model's take 0.1 MB; a thousand trees of eight leaves
 * about 8 MB. Building them costs about a second per 100 MB of tables on the main thread (and as much memory),
 * so a version past this is refused before anything is built.
 */
export const MAX_TABLE_BYTES = 32 * 1024 * 1024;

/** What one tree's table will take: 2^splits rows of its distinct features, in float64. */
function plannedTableBytes(trees: TreeEnsemble, t: number): { splits: number; bytes: number } {
  const from = trees.roots[t];
  const to = t + 1 < trees.roots.length ? trees.roots[t + 1] : trees.feature.length;
  const used = new Set<number>();
  let splits = 0;
  for (let n = from; n < to; n++) {
    if (trees.feature[n] >= 0) {
      splits++;
      used.add(trees.feature[n]);
    }
  }
  return { splits, bytes: splits > MAX_TABLE_SPLITS ? Infinity : 2 ** splits * used.size * 8 };
}

export class TreeShap {
  private readonly width: number;
  /** Per tree: its split nodes, then the features it uses, then its table (offsets into the arrays below). */
  private readonly splitStart: Int32Array;
  private readonly splitCount: Int32Array;
  private readonly usedStart: Int32Array;
  private readonly usedCount: Int32Array;
  private readonly tableStart: Int32Array;
  private readonly splitFeature: Int32Array;
  private readonly splitThreshold: Float32Array;
  private readonly usedFeature: Int32Array;
  private readonly table: Float64Array;

  constructor(trees: TreeEnsemble) {
    this.width = trees.width;
    const count = trees.roots.length;
    // Sized before anything is built: a version whose tables would be too large costs one pass over its nodes.
    let planned = 0;
    for (let t = 0; t < count; t++) {
      const { splits, bytes } = plannedTableBytes(trees, t);
      if (splits > MAX_TABLE_SPLITS)
        throw new Error(`tree ${t} has ${splits} splits, too many for TreeSHAP tables (at most ${MAX_TABLE_SPLITS})`);
      planned += bytes;
    }
    if (planned > MAX_TABLE_BYTES)
      throw new Error(
        `TreeSHAP tables would take ${(planned / 2 ** 20).toFixed(1)} MiB, more than ${MAX_TABLE_BYTES / 2 ** 20} MiB`,
      );
    this.splitStart = new Int32Array(count);
    this.splitCount = new Int32Array(count);
    this.usedStart = new Int32Array(count);
    this.usedCount = new Int32Array(count);
    this.tableStart = new Int32Array(count);
    const splits: number[] = [];
    const used: number[] = [];
    const tables: Float64Array[] = [];
    let tableAt = 0;
    for (let t = 0; t < count; t++) {
      const tree = treeTable(trees, trees.roots[t]);
      this.splitStart[t] = splits.length;
      this.splitCount[t] = tree.splits.length;
      this.usedStart[t] = used.length;
      this.usedCount[t] = tree.features.length;
      this.tableStart[t] = tableAt;
      splits.push(...tree.splits);
      used.push(...tree.features);
      tables.push(tree.table);
      tableAt += tree.table.length;
    }
    this.splitFeature = Int32Array.from(splits, (n) => trees.feature[n]);
    this.splitThreshold = Float32Array.from(splits, (n) => trees.threshold[n]);
    this.usedFeature = Int32Array.from(used);
    this.table = new Float64Array(tableAt);
    let at = 0;
    for (const table of tables) {
      this.table.set(table, at);
      at += table.length;
    }
  }

  /** Contributions of each tensor feature to row `row`'s raw score (log-odds), into `out` (zeroed here). */
  explain(x: Float32Array, row = 0, out = new Float64Array(this.width)): Float64Array {
    out.fill(0);
    const base = row * this.width;
    const {
      splitStart,
      splitCount,
      usedStart,
      usedCount,
      tableStart,
      splitFeature,
      splitThreshold,
      usedFeature,
      table,
    } = this;
    for (let t = 0; t < splitStart.length; t++) {
      const s = splitStart[t];
      let directions = 0;
      for (let j = 0; j < splitCount[t]; j++)
        if (x[base + splitFeature[s + j]] <= splitThreshold[s + j]) directions |= 1 << j;
      const u = usedStart[t];
      const k = usedCount[t];
      const from = tableStart[t] + directions * k;
      for (let i = 0; i < k; i++) out[usedFeature[u + i]] += table[from + i];
    }
    return out;
  }
}

interface Leaf {
  node: number;
  /**
   * Per distinct feature on the path: the fraction of training rows that took the path's way at its splits on it, and
   * those splits with the way taken.
   */
  path: { feature: number; zero: number; splits: { bit: number; left: boolean }[] }[];
}

/**
 * One tree's split nodes, the features it uses and, for every combination of directions at its splits, their
 * contributions.
 */
function treeTable(trees: TreeEnsemble, root: number): { splits: number[]; features: number[]; table: Float64Array } {
  const splits: number[] = [];
  const leaves: Leaf[] = [];
  const walk = (node: number, path: Leaf['path']) => {
    const f = trees.feature[node];
    if (f < 0) {
      leaves.push({ node, path });
      return;
    }
    const bit = splits.push(node) - 1;
    for (const left of [true, false]) {
      const child = left ? trees.left[node] : trees.right[node];
      const ratio = trees.cover[child] / trees.cover[node];
      const seen = path.findIndex((p) => p.feature === f);
      walk(
        child,
        seen < 0
          ? [...path, { feature: f, zero: ratio, splits: [{ bit, left }] }]
          : path.map((p, i) =>
              i === seen ? { feature: f, zero: p.zero * ratio, splits: [...p.splits, { bit, left }] } : p,
            ),
      );
    }
  };
  // (The constructor has refused any tree of more than MAX_TABLE_SPLITS splits before this runs.)
  walk(root, []);
  const features = [...new Set(splits.map((n) => trees.feature[n]))];
  const column = new Map(features.map((f, i) => [f, i]));
  const table = new Float64Array((1 << splits.length) * features.length);
  // Each leaf's shares for each pattern of satisfied path features, computed once into one array per leaf
  // (no object per pattern: a model load builds tens of thousands of them, and the garbage showed in RSS).
  const shares = leaves.map((leaf) => {
    const k = leaf.path.length;
    const out = new Float64Array((1 << k) * k);
    const zero = Float64Array.from(leaf.path, (p) => p.zero);
    for (let pattern = 0; pattern < 1 << k; pattern++)
      leafSharesInto(zero, pattern, trees.value[leaf.node], out, pattern * k);
    return out;
  });
  for (let directions = 0; directions < 1 << splits.length; directions++) {
    const row = directions * features.length;
    leaves.forEach((leaf, l) => {
      const k = leaf.path.length;
      let pattern = 0;
      for (let i = 0; i < k; i++) {
        if (leaf.path[i].splits.every((s) => ((directions >> s.bit) & 1) === (s.left ? 1 : 0))) pattern |= 1 << i;
      }
      for (let i = 0; i < k; i++) table[row + column.get(leaf.path[i].feature)!] += shares[l][pattern * k + i];
    });
  }
  return { splits, features, table };
}

/** Path weights, reused across calls (a path has at most MAX_TABLE_SPLITS + 1 elements). */
const weights = new Float64Array(MAX_TABLE_SPLITS + 2);

/**
 * Algorithm 2's weights for one leaf: extend the path with each distinct feature (zero: the fraction of training
 * rows that took this path's way at its splits; one: bit i of `pattern`, 1 when the row does too), then feature
 * i's share of the leaf value is its unwound sum times (one - zero). Writes k shares times `value` at out[at...].
 */
function leafSharesInto(zeros: Float64Array, pattern: number, value: number, out: Float64Array, at: number): void {
  const k = zeros.length;
  const zero = (d: number) => (d === 0 ? 1 : zeros[d - 1]);
  const one = (d: number) => (d === 0 ? 1 : (pattern >> (d - 1)) & 1);
  const w = weights;
  for (let depth = 0; depth <= k; depth++) {
    w[depth] = depth === 0 ? 1 : 0;
    for (let i = depth - 1; i >= 0; i--) {
      w[i + 1] += (one(depth) * w[i] * (i + 1)) / (depth + 1);
      w[i] = (zero(depth) * w[i] * (depth - i)) / (depth + 1);
    }
  }
  for (let index = 1; index <= k; index++) {
    const o = one(index);
    const z = zero(index);
    let nextOne = w[k];
    let total = 0;
    for (let i = k - 1; i >= 0; i--) {
      if (o !== 0) {
        const tmp = (nextOne * (k + 1)) / ((i + 1) * o);
        total += tmp;
        nextOne = w[i] - (tmp * z * (k - i)) / (k + 1);
      } else {
        total += w[i] / z / ((k - i) / (k + 1));
      }
    }
    out[at + index - 1] = total * (o - z) * value;
  }
}
