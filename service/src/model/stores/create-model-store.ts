import { BlobStoreOptions } from '../../storage/create-blob-store.js';
import { ModelStore } from '../model-store.js';
import { FsModelStore } from './fs-model-store.js';

/** MODEL_STORE is a directory, or s3://bucket/prefix (whose implementation, and the AWS SDK, load on use). */
export async function createModelStore(location: string, options: BlobStoreOptions = {}): Promise<ModelStore> {
  if (!location.startsWith('s3://')) return new FsModelStore(location);
  const { S3ModelStore } = await import('./s3-model-store.js');
  const { createS3Client } = await import('../../storage/s3-location.js');
  return new S3ModelStore(location, createS3Client(process.env, options.timeoutMs), options.timeoutMs);
}
