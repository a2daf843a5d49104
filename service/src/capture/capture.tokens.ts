import type { BlobStore } from '../storage/blob-store.js';
import type { EncodedPart } from './chunk-json.js';
import type { RecordChunk } from './record-layout.js';

/** Where prediction files go (PREDICTION_LOG): a BlobStore, or null when capture is off. */
export const PREDICTION_SINK = Symbol('PREDICTION_SINK');
export type PredictionSink = BlobStore | null;

/** Turns a chunk of records into its gzip JSON-lines files (ChunkEncoder: on a worker thread). */
export interface RecordEncoder {
  encode(chunk: RecordChunk): Promise<EncodedPart[]>;
  close(): Promise<void>;
}
export const RECORD_ENCODER = Symbol('RECORD_ENCODER');

/**
 * Where prediction files wait while the log cannot take them (CAPTURE_SPILL_DIR: SpillDirectory), under the keys
 * they will have in the log, within a cap.
 */
export interface SpillStore {
  readonly root: string;
  /** Files waiting for delivery. */
  readonly files: number;
  /** Finds the files an earlier run left. */
  load(): Promise<void>;
  hasRoom(bytes: number): boolean;
  write(key: string, body: Uint8Array): Promise<void>;
  /** For the last moment of a shutdown and a full queue: no event loop turn to wait on. */
  writeSync(key: string, body: Uint8Array): void;
  /** Hands the oldest file to `put` and forgets it once `put` succeeded. */
  deliverOldest(put: (key: string, body: Buffer) => Promise<void>): Promise<void>;
}
export const SPILL_STORE = Symbol('SPILL_STORE');

/** Time as capture reads it: retries and part names; a test moves it by hand. */
export interface Clock {
  now(): number;
}
export const CAPTURE_CLOCK = Symbol('CAPTURE_CLOCK');
export const SYSTEM_CLOCK: Clock = { now: () => Date.now() };
