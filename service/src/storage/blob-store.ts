import { randomBytes } from 'node:crypto';
import { link, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * Whole-file storage under one root, on disk or on S3, for prediction records, data snapshots and
 * retraining reports. Keys use '/' on both. A put is atomic: readers see the whole object or none.
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
}

/** True for "no such file or object" from either implementation (by shape, so the AWS SDK need not load). */
export function isMissing(error: unknown): boolean {
  const e = error as { code?: string; name?: string; $metadata?: { httpStatusCode?: number } } | undefined;
  return e?.code === 'ENOENT' || e?.name === 'NoSuchKey' || e?.name === 'NotFound' || e?.$metadata?.httpStatusCode === 404;
}

export class BlobExistsError extends Error {
  constructor(location: string, key: string) {
    super(`${location}/${key} already exists and is immutable`);
  }
}

export function safeKey(key: string): string {
  if (key.split('/').some((part) => part === '..' || part === '') || key.startsWith('/')) {
    throw new Error(`invalid key '${key}'`);
  }
  return key;
}

export class FsBlobStore implements BlobStore {
  readonly location: string;

  constructor(root: string) {
    this.location = path.resolve(root);
  }

  async put(key: string, bytes: Buffer, options: { ifAbsent?: boolean } = {}): Promise<void> {
    const target = path.join(this.location, safeKey(key));
    await mkdir(path.dirname(target), { recursive: true });
    const temp = `${target}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    await writeFile(temp, bytes);
    if (!options.ifAbsent) {
      await rename(temp, target);
      return;
    }
    // link(2) fails if the target exists: "only if absent" is atomic, like If-None-Match on S3.
    try {
      await link(temp, target);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new BlobExistsError(this.location, key);
      throw error;
    } finally {
      await rm(temp, { force: true });
    }
  }

  get(key: string): Promise<Buffer> {
    return readFile(path.join(this.location, safeKey(key)));
  }

  /** Proves the root can be created and written (a misconfigured path should stop startup, not lose data later). */
  async probe(): Promise<void> {
    const key = `.probe-${process.pid}-${randomBytes(4).toString('hex')}`;
    await this.put(key, Buffer.alloc(0));
    await rm(path.join(this.location, key), { force: true });
  }

  async exists(key: string): Promise<boolean> {
    return (await this.stat(key)) !== null;
  }

  async stat(key: string): Promise<string | null> {
    return stat(path.join(this.location, safeKey(key))).then(
      (s) => `${s.size}:${s.mtimeMs}`,
      () => null,
    );
  }

  async list(prefix: string): Promise<string[]> {
    const out: string[] = [];
    const walk = async (dir: string, rel: string) => {
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const entry of entries) {
        const key = rel ? `${rel}/${entry.name}` : entry.name;
        if (entry.isDirectory()) await walk(path.join(dir, entry.name), key);
        else if (!entry.name.endsWith('.tmp') && key.startsWith(prefix)) out.push(key);
      }
    };
    await walk(this.location, '');
    return out.sort();
  }
}

/**
 * A directory path or s3://bucket/prefix. The S3 implementation (and the AWS SDK) loads only when an S3
 * location is used, which keeps it out of a directory-backed service's startup.
 */
export async function createBlobStore(location: string): Promise<BlobStore> {
  if (!location.startsWith('s3://')) return new FsBlobStore(location);
  const { S3BlobStore } = await import('./s3-blob-store.js');
  return new S3BlobStore(location);
}
