import { ModelStore } from '../model-store.js';
import { FsModelStore } from './fs-model-store.js';

/** MODEL_STORE is a directory, or s3://bucket/prefix. */
export function createModelStore(location: string): ModelStore {
  if (location.startsWith('s3://')) {
    throw new Error(`S3 model stores are not available in this build: ${location}`);
  }
  return new FsModelStore(location);
}
