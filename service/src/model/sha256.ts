import { createHash } from 'node:crypto';

/** Hex sha256 of artifact bytes: how a manifest names the ONNX file it was evaluated with. */
export const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
