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
 * What a trees.json may hold. A model store is written by jobs, people and CI, so its files are untrusted until
 * verified: these bound the work and memory of reading one, whatever it contains. A retrained model of a
 * thousand trees of eight leaves is a hundredth of each.
 */
export const TREE_LIMITS = { trees: 10_000, nodesPerTree: 4_095, nodes: 500_000, depth: 64 } as const;

/**
 * The model's trees in flat typed arrays: node n of every tree is at roots[t] + n. Thresholds are float32 and
 * rows are the float32 tensor, so a comparison here takes the branch ONNX Runtime takes (x <= threshold).
 *
 * Each tree is checked to be one: children are numbered after their parent, every node but the root has exactly
 * one parent, and so every node is reached once from the root. A node with two parents would make a DAG, and a
 * walk over one takes about fib(size) steps (a 64-node file froze a service for minutes); so nothing here
 * recurses, and every pass is one loop over the nodes.
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
    if (doc.trees.length > TREE_LIMITS.trees)
      throw new Error(`trees.json holds ${doc.trees.length} trees, more than ${TREE_LIMITS.trees}`);
    if (!Array.isArray(doc.features)) throw new Error('trees.json names no features');
    this.features = doc.features;
    this.baseline = doc.baseline;
    let total = 0;
    doc.trees.forEach((tree, t) => {
      const size = Array.isArray(tree?.feature) ? tree.feature.length : -1;
      if (size < 1 || size > TREE_LIMITS.nodesPerTree)
        throw new Error(`tree ${t} has ${size < 0 ? 'no' : size} nodes (1 to ${TREE_LIMITS.nodesPerTree})`);
      for (const column of [tree.threshold, tree.left, tree.right, tree.value, tree.cover]) {
        if (!Array.isArray(column) || column.length !== size) throw new Error(`tree ${t}: columns differ in length`);
      }
      total += size;
    });
    if (total > TREE_LIMITS.nodes) throw new Error(`trees.json holds ${total} nodes, more than ${TREE_LIMITS.nodes}`);
    this.roots = new Int32Array(doc.trees.length);
    this.feature = new Int32Array(total);
    this.threshold = new Float32Array(total);
    this.left = new Int32Array(total);
    this.right = new Int32Array(total);
    this.value = new Float64Array(total);
    this.cover = new Float64Array(total);
    // Per node of the tree being read: its depth (0 until a parent names it).
    const depth = new Int32Array(TREE_LIMITS.nodesPerTree);
    let deepest = 0;
    let at = 0;
    doc.trees.forEach((tree, t) => {
      const size = tree.feature.length;
      this.roots[t] = at;
      depth.fill(0, 0, size);
      depth[0] = 1;
      // Children come after their parent, so one pass in index order meets every parent before its children.
      for (let n = 0; n < size; n++) {
        if (depth[n] === 0) throw new Error(`tree ${t} node ${n}: not reachable from the root`);
        const f = tree.feature[n];
        if (!Number.isInteger(f) || f >= doc.features.length)
          throw new Error(`tree ${t} node ${n}: feature ${f} is not in the tensor`);
        this.feature[at + n] = f;
        this.threshold[at + n] = tree.threshold[n];
        this.value[at + n] = tree.value[n];
        this.cover[at + n] = tree.cover[n];
        if (f >= 0) {
          const [l, r] = [tree.left[n], tree.right[n]];
          if (!(Number.isInteger(l) && Number.isInteger(r) && l > n && l < size && r > n && r < size && l !== r))
            throw new Error(`tree ${t} node ${n}: children out of range`);
          for (const child of [l, r]) {
            if (depth[child] !== 0)
              throw new Error(`tree ${t} node ${child}: has two parents (the tree is not a tree)`);
            depth[child] = depth[n] + 1;
          }
          if (depth[n] + 1 > TREE_LIMITS.depth) throw new Error(`tree ${t} is deeper than ${TREE_LIMITS.depth} nodes`);
          if (tree.cover[l] + tree.cover[r] !== tree.cover[n])
            throw new Error(`tree ${t} node ${n}: children's covers do not add up`);
          this.left[at + n] = at + l;
          this.right[at + n] = at + r;
        } else {
          this.left[at + n] = at + n;
          this.right[at + n] = at + n;
          deepest = Math.max(deepest, depth[n]);
        }
      }
      at += size;
    });
    this.maxDepth = deepest;
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
   * leaf, each tree folded from its last node back to its root (children come after their parents).
   */
  expectedRaw(): number {
    const expected = new Float64Array(this.feature.length);
    for (let n = this.feature.length - 1; n >= 0; n--) {
      if (this.feature[n] < 0) expected[n] = this.value[n];
      else {
        const l = this.left[n];
        const r = this.right[n];
        expected[n] = (this.cover[l] * expected[l] + this.cover[r] * expected[r]) / this.cover[n];
      }
    }
    let sum = this.baseline;
    for (let t = 0; t < this.roots.length; t++) sum += expected[this.roots[t]];
    return sum;
  }
}

export const sigmoid = (raw: number) => 1 / (1 + Math.exp(-raw));
