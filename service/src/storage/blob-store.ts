/**
 * Whole-file storage under one root, on disk or on S3, for prediction records, data snapshots, retraining
 * reports and model artifacts. Keys use '/' on both. A put is atomic: readers see the whole object or none.
 * Every call on a remote store has a deadline (StoreTimeoutError past it); errors name keys, never local paths.
 */
export interface BlobStore {
  readonly location: string;
  put(key: string, bytes: Buffer, options?: { ifAbsent?: boolean; contentType?: string }): Promise<void>;
  get(key: string): Promise<Buffer>;
  /** Every key under a prefix, sorted. */
  list(prefix: string): Promise<string[]>;
  exists(key: string): Promise<boolean>;
  /** A cheap identity of an object's content (size and ETag or mtime); null when it does not exist. */
  stat(key: string): Promise<string | null>;
  /** Proves a local store can be written (a misconfigured path should stop startup); remote stores have none. */
  probe?(): Promise<void>;
}

/** True for "no such file or object" from either implementation (by shape, so the AWS SDK need not load). */
export function isMissing(error: unknown): boolean {
  const e = error as { code?: string; name?: string; $metadata?: { httpStatusCode?: number } } | undefined;
  return (
    e?.code === 'ENOENT' || e?.name === 'NoSuchKey' || e?.name === 'NotFound' || e?.$metadata?.httpStatusCode === 404
  );
}

/** True when a store call ran out of its deadline. */
export const isTimeout = (error: unknown): boolean => error instanceof StoreTimeoutError;

export class BlobExistsError extends Error {
  constructor(location: string, key: string) {
    super(`${location}/${key} already exists and is immutable`);
  }
}

/** A store call that did not finish within its deadline (a hung endpoint, a black-holed network). */
export class StoreTimeoutError extends Error {
  override readonly name = 'StoreTimeoutError';
  constructor(operation: string, key: string, timeoutMs: number) {
    super(`${operation} ${key} timed out after ${timeoutMs} ms`);
  }
}

export function safeKey(key: string): string {
  if (key.split('/').some((part) => part === '..' || part === '') || key.startsWith('/')) {
    throw new Error(`invalid key '${key}'`);
  }
  return key;
}
