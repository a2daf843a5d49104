import { TreeEnsemble, TreesDocument, TREE_LIMITS } from '../../service/src/explain/tree-ensemble.js';
import { MAX_TABLE_BYTES, TreeShap } from '../../service/src/explain/tree-shap.js';
import { dagTree, demoFiles, zeroTree } from '../helpers/hostile-artifacts.js';

/*
 * trees.json is read from a store that people, jobs and CI write: whatever it holds, reading it is one pass over
 * its nodes, and anything that is not a forest of small trees is refused with a reason before any table is built.
 */
const demo = () => JSON.parse(demoFiles()['trees.json'].toString()) as TreesDocument;

describe('trees from an untrusted store', () => {
  it('refuses a node with two parents (a DAG whose walk would take fib(size) steps), at once', () => {
    const doc = demo();
    doc.trees.unshift(dagTree(64));
    const started = performance.now();
    expect(() => new TreeEnsemble(doc)).toThrow(/tree 0 node 2: has two parents/);
    // One pass: a 64-node DAG took minutes to walk recursively.
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it('refuses a node no parent names (unreachable from the root)', () => {
    const doc = demo();
    // Node 0 splits into leaf 1 and split 2; pointing it at leaf 3 instead leaves node 2 without a parent.
    const tree = zeroTree(2, doc.features.length);
    tree.right[0] = 3;
    tree.cover[0] = tree.cover[1] + tree.cover[3];
    doc.trees.unshift(tree);
    expect(() => new TreeEnsemble(doc)).toThrow('tree 0 node 2: not reachable from the root');
  });

  it('refuses more trees, nodes or depth than its limits', () => {
    const many = demo();
    many.trees = Array.from({ length: TREE_LIMITS.trees + 1 }, () => many.trees[0]);
    expect(() => new TreeEnsemble(many)).toThrow(
      `holds ${TREE_LIMITS.trees + 1} trees, more than ${TREE_LIMITS.trees}`,
    );
    const deep = demo();
    deep.trees.unshift(zeroTree(TREE_LIMITS.depth + 1, deep.features.length));
    expect(() => new TreeEnsemble(deep)).toThrow(`tree 0 is deeper than ${TREE_LIMITS.depth} nodes`);
  });

  it('refuses, before building any, TreeSHAP tables past MAX_TABLE_BYTES (1,000 trees of 12 zero-valued splits)', () => {
    const doc = demo();
    doc.trees.push(...Array.from({ length: 1_000 }, () => zeroTree(12, doc.features.length)));
    const trees = new TreeEnsemble(doc);
    const started = performance.now();
    expect(() => new TreeShap(trees)).toThrow(/TreeSHAP tables would take \d+\.\d MiB, more than 32 MiB/);
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(MAX_TABLE_BYTES).toBe(32 * 2 ** 20);
  });

  it('refuses a tree of more splits than a TreeSHAP table can take, naming it', () => {
    const doc = demo();
    doc.trees.push(zeroTree(13, doc.features.length));
    expect(() => new TreeShap(new TreeEnsemble(doc))).toThrow(
      `tree ${doc.trees.length - 1} has 13 splits, too many for TreeSHAP tables (at most 12)`,
    );
  });

  it('still reads the demo model, and agrees with it', () => {
    const trees = new TreeEnsemble(demo());
    expect(trees.roots.length).toBe(demo().trees.length);
    expect(() => new TreeShap(trees)).not.toThrow();
  });
});
