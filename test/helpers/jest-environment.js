import { TestEnvironment } from 'jest-environment-node';

/**
 * Jest runs each suite in its own V8 context, so a Float32Array made by a native addon (onnxruntime-node's
 * outputs) is not `instanceof` the suite's Float32Array and onnxruntime-common rejects it. Sharing the host
 * realm's typed-array and buffer constructors makes in-process inference behave as it does in production.
 */
export default class SharedTypedArraysEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of [
      'ArrayBuffer',
      'SharedArrayBuffer',
      'Uint8Array',
      'Int8Array',
      'Uint16Array',
      'Int16Array',
      'Uint32Array',
      'Int32Array',
      'Float32Array',
      'Float64Array',
      'BigInt64Array',
      'BigUint64Array',
      'Uint8ClampedArray',
    ]) {
      this.global[name] = globalThis[name];
    }
  }
}
