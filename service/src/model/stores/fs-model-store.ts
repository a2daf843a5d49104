import { FsBlobStore } from '../../storage/fs-blob-store.js';
import { BlobModelStore } from './blob-model-store.js';

/** The model store in a local directory. */
export class FsModelStore extends BlobModelStore {
  constructor(root: string) {
    super(new FsBlobStore(root));
  }
}
