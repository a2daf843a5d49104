import { BlobStoreOptions, createBlobStore } from '../../storage/create-blob-store.js';
import { ModelStore } from '../model-store.js';
import { BlobModelStore } from './blob-model-store.js';

/**
 * MODEL_STORE is a directory, or s3://bucket/prefix: the store layout over the blob store createBlobStore makes
 * for that location (which loads the AWS SDK only for S3, and gives every S3 call its deadline).
 */
export async function createModelStore(location: string, options: BlobStoreOptions = {}): Promise<ModelStore> {
  return new BlobModelStore(await createBlobStore(location, options));
}
