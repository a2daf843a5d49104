import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { TreesDocument } from '../../service/src/explain/tree-ensemble.js';
import type { ModelManifest } from '../../service/src/model/manifest.js';
import { findPython } from '../../scripts/lib/python.js';
import { DEMO_STORE } from './paths.js';

/*
 * Model versions a hostile or careless writer of the store could publish: the demo model's files with one thing
 * changed, every sha256 and the manifest consistent, so that only the checks for that thing can refuse them.
 */
const NAME = 'loan-default';
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

export function demoFiles(): Record<string, Buffer> {
  const versions = path.join(DEMO_STORE, NAME, 'versions');
  const dir = path.join(versions, readdirSync(versions).sort().pop()!);
  return Object.fromEntries(
    ['manifest.json', 'model.onnx', 'trees.json'].map((f) => [f, readFileSync(path.join(dir, f))]),
  );
}

/** The demo's files as `version`, with trees, manifest or ONNX bytes replaced and the hashes made to match. */
export function variant(
  version: string,
  change: { trees?: (doc: TreesDocument) => TreesDocument; manifest?: (m: ModelManifest) => void; onnx?: Buffer },
): Record<string, Buffer> {
  const files = demoFiles();
  const manifest = JSON.parse(files['manifest.json'].toString()) as ModelManifest;
  manifest.version = version;
  if (change.trees) {
    files['trees.json'] = Buffer.from(JSON.stringify(change.trees(JSON.parse(files['trees.json'].toString()))));
    manifest.explanation!.sha256 = sha256(files['trees.json']);
    manifest.explanation!.bytes = files['trees.json'].length;
  }
  if (change.onnx) {
    files['model.onnx'] = change.onnx;
    manifest.onnx.sha256 = sha256(change.onnx);
  }
  change.manifest?.(manifest);
  files['manifest.json'] = Buffer.from(JSON.stringify(manifest));
  return files;
}

type Tree = TreesDocument['trees'][number];

/**
 * A "tree" of `size` nodes in which node n points to n+1 and n+2: children numbered after their parents and
 * covers that add up, but most nodes have two parents, and a recursive walk takes about fib(size) steps.
 */
export function dagTree(size: number): Tree {
  const splits = size - 2;
  const cover: number[] = Array(size).fill(1);
  for (let n = splits - 1; n >= 0; n--) cover[n] = cover[n + 1] + cover[n + 2];
  return {
    feature: Array.from({ length: size }, (_, n) => (n < splits ? 0 : -1)),
    threshold: Array(size).fill(0),
    left: Array.from({ length: size }, (_, n) => (n < splits ? n + 1 : -1)),
    right: Array.from({ length: size }, (_, n) => (n < splits ? n + 2 : -1)),
    value: Array(size).fill(0),
    cover,
  };
}

/** A real tree of `splits` splits in a chain (each split's left child a leaf), every leaf worth 0. */
export function zeroTree(splits: number, width: number): Tree {
  const size = 2 * splits + 1;
  const feature: number[] = [];
  const left: number[] = [];
  const right: number[] = [];
  for (let n = 0; n < size; n++) {
    const split = n % 2 === 0 && n < size - 1;
    feature.push(split ? (n / 2) % width : -1);
    left.push(split ? n + 1 : -1);
    right.push(split ? n + 2 : -1);
  }
  const cover: number[] = Array(size).fill(1);
  for (let n = size - 3; n >= 0; n -= 2) cover[n] = cover[n + 1] + cover[n + 2];
  return { feature, threshold: Array(size).fill(0.5), left, right, value: Array(size).fill(0), cover };
}

/**
 * A valid ONNX model, written by the onnx package itself, whose one initializer keeps its data in an external
 * file named `location` (relative: onnxruntime-node would read it from the working directory).
 */
export function externalDataOnnx(location = 'local.txt'): Buffer {
  const script = `
import sys, numpy as np
from onnx import helper, numpy_helper, TensorProto
w = numpy_helper.from_array(np.array([1.0], dtype=np.float32), 'w')
w.ClearField('raw_data')
w.data_location = TensorProto.EXTERNAL
for key, value in (('location', ${JSON.stringify(location)}), ('offset', '0'), ('length', '4')):
    entry = w.external_data.add(); entry.key = key; entry.value = value
graph = helper.make_graph([helper.make_node('Identity', ['w'], ['probabilities'])], 'g',
    [helper.make_tensor_value_info('x', TensorProto.FLOAT, [None, 9])],
    [helper.make_tensor_value_info('probabilities', TensorProto.FLOAT, [1])], [w])
sys.stdout.buffer.write(helper.make_model(graph).SerializeToString())
`;
  const made = spawnSync(findPython(), ['-c', script], { maxBuffer: 1 << 20 });
  if (made.status !== 0) throw new Error(`python3 could not write the ONNX model: ${made.stderr}`);
  return made.stdout;
}
