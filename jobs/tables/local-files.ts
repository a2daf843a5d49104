import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { BlobStore } from '../../service/src/storage/blob-store.js';

/** A local file's sha256, read as a stream (parts can be larger than a job should hold). */
export async function fileSha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** How many bytes of downloaded parts a job holds on local disk at once, by default (past it, it works in batches). */
export const DEFAULT_DOWNLOAD_BUDGET_BYTES = 256 * 1024 * 1024;

/**
 * DuckDB reads local files (its S3 extension cannot be had here): a key of a directory data root is read where it
 * is; one of an S3 root is downloaded into the job's work directory first, and removed when done with. The bytes
 * downloaded and not yet removed are tracked, and their peak is what the job reports as its local disk.
 */
export class LocalFiles {
  private readonly local: boolean;
  private held = 0;
  private readonly sizes = new Map<string, number>();
  /** The most bytes of downloads on local disk at once. */
  peakBytes = 0;

  constructor(
    private readonly root: BlobStore,
    private readonly workDir: string,
    private readonly budgetBytes = DEFAULT_DOWNLOAD_BUDGET_BYTES,
  ) {
    this.local = !root.location.startsWith('s3://');
  }

  /** A path DuckDB can read holding the object at `key`. */
  async pathOf(key: string): Promise<string> {
    if (this.local) return path.join(this.root.location, key);
    const target = path.join(this.workDir, 'objects', key);
    await mkdir(path.dirname(target), { recursive: true });
    const bytes = await this.root.get(key);
    await writeFile(target, bytes);
    this.sizes.set(key, bytes.length);
    this.held += bytes.length;
    this.peakBytes = Math.max(this.peakBytes, this.held);
    return target;
  }

  /** Frees the local copy of an S3 object. */
  async release(key: string): Promise<void> {
    if (this.local) return;
    await rm(path.join(this.workDir, 'objects', key), { force: true });
    this.held -= this.sizes.get(key) ?? 0;
    this.sizes.delete(key);
  }

  /**
   * Runs `work` over the objects at `keys` in batches whose downloads stay within the budget (a directory root:
   * one batch of them all, read in place), releasing each batch after it: the local disk holds at most the
   * budget plus one object, however long the history.
   */
  async inBatches(keys: string[], work: (paths: string[]) => Promise<unknown>): Promise<void> {
    if (keys.length === 0) return;
    if (this.local) {
      await work(keys.map((k) => path.join(this.root.location, k)));
      return;
    }
    let batch: string[] = [];
    let bytes = 0;
    const flush = async () => {
      if (batch.length === 0) return;
      await work(batch.map((k) => path.join(this.workDir, 'objects', k)));
      await Promise.all(batch.map((k) => this.release(k)));
      batch = [];
      bytes = 0;
    };
    for (const key of keys) {
      await this.pathOf(key);
      batch.push(key);
      bytes += this.sizes.get(key) ?? 0;
      if (bytes >= this.budgetBytes) await flush();
    }
    await flush();
  }

  /** Puts a file the job made under `key`, then deletes it: the local disk holds one part at a time. */
  async upload(file: string, key: string, contentType: string): Promise<void> {
    const size = (await stat(file)).size;
    this.peakBytes = Math.max(this.peakBytes, this.held + size);
    await this.root.put(key, await readFile(file), { contentType });
    await rm(file, { force: true });
  }
}
