import { BlobStore } from './blob-store.js';
import { FsBlobStore } from './fs-blob-store.js';

export interface BlobStoreOptions {
  /** Deadline of one remote call, retries included. */
  timeoutMs?: number;
}

/**
 * A directory path or s3://bucket/prefix. The S3 implementation (and the AWS SDK) loads only when an S3
 * location is used, which keeps it out of a directory-backed service's startup.
 */
export async function createBlobStore(location: string, options: BlobStoreOptions = {}): Promise<BlobStore> {
  if (!location.startsWith('s3://')) return new FsBlobStore(location);
  const { S3BlobStore } = await import('./s3-blob-store.js');
  const { createS3Client } = await import('./s3-location.js');
  return new S3BlobStore(location, createS3Client(process.env, options.timeoutMs), options.timeoutMs);
}
