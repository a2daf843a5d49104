import { S3Client } from '@aws-sdk/client-s3';
import { S3BlobStore } from '../../storage/s3-blob-store.js';
import { createS3Client, DEFAULT_S3_TIMEOUT_MS } from '../../storage/s3-location.js';
import { BlobModelStore } from './blob-model-store.js';

/** The model store under s3://bucket/prefix. */
export class S3ModelStore extends BlobModelStore {
  constructor(uri: string, s3: S3Client = createS3Client(), timeoutMs = DEFAULT_S3_TIMEOUT_MS) {
    super(new S3BlobStore(uri, s3, timeoutMs));
  }
}
