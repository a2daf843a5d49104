import { ModelStore } from '../model-store.js';
import { FsModelStore } from './fs-model-store.js';
import { S3ModelStore } from './s3-model-store.js';

/** MODEL_STORE is a directory, or s3://bucket/prefix. */
export function createModelStore(location: string): ModelStore {
  return location.startsWith('s3://') ? new S3ModelStore(location) : new FsModelStore(location);
}
