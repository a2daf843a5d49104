import type { BlobStore } from '../storage/blob-store.js';
import type { EncodedPart, RecordChunk } from './record-chunk.js';

/** Where prediction files go (PREDICTION_LOG): a BlobStore, or null when capture is off. */
export const PREDICTION_SINK = Symbol('PREDICTION_SINK');
export type PredictionSink = BlobStore | null;

/** Turns a chunk of records into its gzip JSON-lines files (ChunkEncoder: on a worker thread). */
export interface RecordEncoder {
  encode(chunk: RecordChunk): Promise<EncodedPart[]>;
  close(): Promise<void>;
}
export const RECORD_ENCODER = Symbol('RECORD_ENCODER');
