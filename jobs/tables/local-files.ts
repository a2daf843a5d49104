import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { BlobStore } from '../../service/src/storage/blob-store.js';

/**
 * DuckDB reads local files (its S3 extension cannot be had here): a key of a directory data root is read where it
 * is; one of an S3 root is downloaded into the job's work directory first, and removed with it.
 */
export class LocalFiles {
  private readonly local: boolean;

  constructor(
    private readonly root: BlobStore,
    private readonly workDir: string,
  ) {
    this.local = !root.location.startsWith('s3://');
  }

  /** A path DuckDB can read holding the object at `key`. */
  async pathOf(key: string): Promise<string> {
    if (this.local) return path.join(this.root.location, key);
    const target = path.join(this.workDir, 'objects', key);
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, await this.root.get(key));
    return target;
  }

  /** Puts a file the job made under `key`, then deletes it: the local disk holds one part at a time. */
  async upload(file: string, key: string, contentType: string): Promise<void> {
    await this.root.put(key, await readFile(file), { contentType });
    await rm(file, { force: true });
  }

  /** Frees the local copy of an S3 object. */
  async release(key: string): Promise<void> {
    if (!this.local) await rm(path.join(this.workDir, 'objects', key), { force: true });
  }
}
