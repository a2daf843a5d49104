/** trees.json as training writes it (training/loan_default/explain.py): every tree as columns. */
export interface TreesDocument {
  format: number;
  features: string[];
  /** The raw-score (log-odds) baseline the ONNX graph adds to the sum of the trees. */
  baseline: number;
  trees: {
    feature: number[];
    threshold: number[];
    left: number[];
    right: number[];
    value: number[];
    cover: number[];
  }[];
}

export const SUPPORTED_TREES_FORMAT = 1;

/**
 * The model's trees in flat typed arrays: node n of every tree is at roots[t] + n. Thresholds are float32 and
 * rows are the float32 tensor, so a comparison here takes the branch ONNX Runtime takes (x <= threshold).
 */
export class TreeEnsemble {
  readonly features: readonly string[];
  readonly baseline: number;
  readonly roots: Int32Array;
  readonly feature: Int32Array;
  readonly threshold: Float32Array;
  readonly left: Int32Array;
  readonly right: Int32Array;
  readonly value: Float64Array;
  readonly cover: Float64Array;
  /** The deepest path, in nodes: the size TreeSHAP's path buffers need. */
  readonly maxDepth: number;

  constructor(doc: TreesDocument) {
    if (doc?.format !== SUPPORTED_TREES_FORMAT)
      throw new Error(`trees format ${doc?.format} is not supported (expected ${SUPPORTED_TREES_FORMAT})`);
    if (!Array.isArray(doc.trees) || doc.trees.length === 0) throw new Error('trees.json holds no trees');
    this.features = doc.features;
    this.baseline = doc.baseline;
    const total = doc.trees.reduce((n, t) => n + t.feature.length, 0);
    this.roots = new Int32Array(doc.trees.length);
    this.feature = new Int32Array(total);
    this.threshold = new Float32Array(total);
    this.left = new Int32Array(total);
    this.right = new Int32Array(total);
    this.value = new Float64Array(total);
    this.cover = new Float64Array(total);
    let at = 0;
    doc.trees.forEach((tree, t) => {
      const size = tree.feature.length;
      for (const column of [tree.threshold, tree.left, tree.right, tree.value, tree.cover]) {
        if (column.length !== size) throw new Error(`tree ${t}: columns differ in length`);
      }
      this.roots[t] = at;
      for (let n = 0; n < size; n++) {
        const f = tree.feature[n];
        if (f >= doc.features.length) throw new Error(`tree ${t} node ${n}: feature ${f} is not in the tensor`);
        this.feature[at + n] = f;
        this.threshold[at + n] = tree.threshold[n];
        this.value[at + n] = tree.value[n];
        this.cover[at + n] = tree.cover[n];
        if (f >= 0) {
          if (!(tree.left[n] > n && tree.left[n] < size && tree.right[n] > n && tree.right[n] < size))
            throw new Error(`tree ${t} node ${n}: children out of range`);
          if (tree.cover[tree.left[n]] + tree.cover[tree.right[n]] !== tree.cover[n])
            throw new Error(`tree ${t} node ${n}: children's covers do not add up`);
        }
        this.left[at + n] = at + tree.left[n];
        this.right[at + n] = at + tree.right[n];
      }
      at += size;
    });
    let deepest = 0;
    for (let t = 0; t < this.roots.length; t++) deepest = Math.max(deepest, this.depth(this.roots[t]));
    this.maxDepth = deepest;
  }

  private depth(node: number): number {
    return this.feature[node] < 0 ? 1 : 1 + Math.max(this.depth(this.left[node]), this.depth(this.right[node]));
  }

  get width(): number {
    return this.features.length;
  }

  /** The raw score (log-odds) of row `row` of a tensor, as the ONNX graph sums it. */
  raw(x: Float32Array, row = 0): number {
    const base = row * this.width;
    let sum = this.baseline;
    for (let t = 0; t < this.roots.length; t++) {
      let n = this.roots[t];
      while (this.feature[n] >= 0) n = x[base + this.feature[n]] <= this.threshold[n] ? this.left[n] : this.right[n];
      sum += this.value[n];
    }
    return sum;
  }

  /**
   * E[f(x)] under the training distribution the covers describe: the baseline plus each tree's cover-weighted mean
   * leaf.
   */
  expectedRaw(): number {
    let sum = this.baseline;
    for (let t = 0; t < this.roots.length; t++) sum += this.expected(this.roots[t]);
    return sum;
  }

  private expected(node: number): number {
    if (this.feature[node] < 0) return this.value[node];
    const l = this.left[node];
    const r = this.right[node];
    return (this.cover[l] * this.expected(l) + this.cover[r] * this.expected(r)) / this.cover[node];
  }
}

export const sigmoid = (raw: number) => 1 / (1 + Math.exp(-raw));
