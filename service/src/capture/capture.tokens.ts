import type { BlobStore } from '../storage/blob-store.js';
import type { EncodedPart, RecordChunk } from './record-chunk.js';

/** Where prediction files go (PREDICTION_LOG): a BlobStore, or null when capture is off. */
export const PREDICTION_SINK = Symbol('PREDICTION_SINK');
export type PredictionSink = BlobStore | null;

/** Turns chunks of records into their gzip JSON-lines files, one per date (ChunkEncoder: on a worker thread). */
export interface RecordEncoder {
  encode(chunks: readonly RecordChunk[]): Promise<EncodedPart[]>;
  close(): Promise<void>;
}
export const RECORD_ENCODER = Symbol('RECORD_ENCODER');
