import { encodeChunk } from '../../service/src/capture/chunk-json.js';
import type { RecordEncoder } from '../../service/src/capture/capture.tokens.js';

/** The record encoder without its worker thread: what the capture specs use where the thread is not the point. */
export const MAIN_THREAD_ENCODER: RecordEncoder = {
  encode: async (chunk) => encodeChunk(chunk),
  close: async () => undefined,
};
