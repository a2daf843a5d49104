/**
 * Finds a tensor in an ONNX model whose data lives outside the model's bytes (TensorProto.external_data, or
 * data_location EXTERNAL). onnxruntime-node reads such data from a path relative to the working directory even
 * when it is given the model as bytes (a test model returned a local file's contents as its output), so a
 * version with one is refused before any session is made.
 *
 * A minimal protobuf walk over the messages that can hold tensors (onnx.proto): the model's graph and functions,
 * a graph's nodes, initializers and sparse initializers, a node's attributes, an attribute's tensors and
 * subgraphs, a sparse tensor's values and indices. Other fields, raw tensor data included, are skipped by length,
 * without recursion (a stack of segments), so a hostile file costs one pass over its bytes.
 */

type Message = 'model' | 'graph' | 'function' | 'node' | 'attribute' | 'tensor' | 'sparse';

/** The fields, by number, that hold messages worth opening, and what they hold. */
const CHILDREN: Record<Message, Record<number, Message>> = {
  model: { 7: 'graph', 25: 'function' },
  graph: { 1: 'node', 5: 'tensor', 15: 'sparse' },
  function: { 7: 'node' },
  node: { 5: 'attribute' },
  attribute: { 5: 'tensor', 6: 'graph', 10: 'tensor', 11: 'graph', 22: 'sparse', 23: 'sparse' },
  sparse: { 1: 'tensor', 2: 'tensor' },
  tensor: {},
};
const TENSOR_NAME = 8;
const TENSOR_EXTERNAL_DATA = 13;
const TENSOR_DATA_LOCATION = 14;
const DATA_LOCATION_EXTERNAL = 1;
/** Graphs nest inside attributes (If, Loop, Scan); no real model goes near this. */
const MAX_NESTING = 64;

export class OnnxFormatError extends Error {}

/** The name of the first tensor with external data, '' for one without a name, or null when there is none. */
export function externalDataTensor(bytes: Uint8Array): string | null {
  const stack: { message: Message; end: number; depth: number }[] = [];
  let at = 0;
  let message: Message = 'model';
  let end = bytes.length;
  let depth = 0;
  let tensorName = '';

  const varint = (): number => {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (at >= end) throw new OnnxFormatError('model.onnx is not an ONNX model (truncated)');
      const byte = bytes[at++];
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 128;
    }
    throw new OnnxFormatError('model.onnx is not an ONNX model (a malformed number)');
  };

  for (;;) {
    if (at >= end) {
      if (at > end) throw new OnnxFormatError('model.onnx is not an ONNX model (truncated)');
      const parent = stack.pop();
      if (!parent) return null;
      ({ message, end, depth } = parent);
      continue;
    }
    const key = varint();
    const field = Math.floor(key / 8);
    const wire = key % 8;
    if (wire === 0) {
      const value = varint();
      if (message === 'tensor' && field === TENSOR_DATA_LOCATION && value === DATA_LOCATION_EXTERNAL) return tensorName;
    } else if (wire === 1) at += 8;
    else if (wire === 5) at += 4;
    else if (wire === 2) {
      const length = varint();
      const start = at;
      at += length;
      if (at > end) throw new OnnxFormatError('model.onnx is not an ONNX model (truncated)');
      if (message === 'tensor' && field === TENSOR_EXTERNAL_DATA) return tensorName;
      if (message === 'tensor' && field === TENSOR_NAME) tensorName = Buffer.from(bytes.subarray(start, at)).toString();
      const child: Message | undefined = CHILDREN[message][field];
      if (child) {
        if (depth + 1 > MAX_NESTING) throw new OnnxFormatError(`model.onnx nests graphs deeper than ${MAX_NESTING}`);
        // The parent resumes where the child ends, which is where `at` points now.
        stack.push({ message, end, depth });
        [message, end, depth] = [child, at, depth + 1];
        at = start;
        if (child === 'tensor') tensorName = '';
      }
    } else {
      throw new OnnxFormatError(`model.onnx is not an ONNX model (protobuf wire type ${wire})`);
    }
  }
}
