import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  NotFound,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createS3Client, joinKey, parseS3Uri, S3Location } from '../model/stores/s3-location.js';

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

/** True for "no such file or object" from either implementation. */
export function isMissing(error: unknown): boolean {
  return (
    (error as NodeJS.ErrnoException)?.code === 'ENOENT' ||
    error instanceof NoSuchKey ||
    error instanceof NotFound ||
    (error instanceof S3ServiceException && (error.$metadata?.httpStatusCode === 404 || error.name === 'NoSuchKey'))
  );
}

export class BlobExistsError extends Error {
  constructor(location: string, key: string) {
    super(`${location}/${key} already exists and is immutable`);
  }
}

function safeKey(key: string): string {
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
    if (options.ifAbsent && (await this.exists(key))) throw new BlobExistsError(this.location, key);
    await mkdir(path.dirname(target), { recursive: true });
    const temp = `${target}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    await writeFile(temp, bytes);
    await rename(temp, target);
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

export class S3BlobStore implements BlobStore {
  readonly location: string;
  private readonly where: S3Location;

  constructor(
    uri: string,
    private readonly s3: S3Client = createS3Client(),
  ) {
    this.where = parseS3Uri(uri);
    this.location = `s3://${this.where.bucket}${this.where.prefix ? `/${this.where.prefix}` : ''}`;
  }

  async put(key: string, bytes: Buffer, options: { ifAbsent?: boolean; contentType?: string } = {}): Promise<void> {
    if (options.ifAbsent && (await this.exists(key))) throw new BlobExistsError(this.location, key);
    try {
      await this.s3.send(
        new PutObjectCommand({
          Bucket: this.where.bucket,
          Key: joinKey(this.where.prefix, safeKey(key)),
          Body: bytes,
          ContentType: options.contentType,
          IfNoneMatch: options.ifAbsent ? '*' : undefined,
        }),
      );
    } catch (error) {
      if (error instanceof S3ServiceException && error.$metadata?.httpStatusCode === 412) throw new BlobExistsError(this.location, key);
      throw error;
    }
  }

  async get(key: string): Promise<Buffer> {
    const answer = await this.s3.send(new GetObjectCommand({ Bucket: this.where.bucket, Key: joinKey(this.where.prefix, safeKey(key)) }));
    return Buffer.from(await answer.Body!.transformToByteArray());
  }

  async exists(key: string): Promise<boolean> {
    return (await this.stat(key)) !== null;
  }

  async stat(key: string): Promise<string | null> {
    try {
      const head = await this.s3.send(new HeadObjectCommand({ Bucket: this.where.bucket, Key: joinKey(this.where.prefix, safeKey(key)) }));
      return `${head.ContentLength}:${head.ETag}`;
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
  }

  async list(prefix: string): Promise<string[]> {
    const base = this.where.prefix ? `${this.where.prefix}/` : '';
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.s3.send(
        new ListObjectsV2Command({ Bucket: this.where.bucket, Prefix: base + prefix, ContinuationToken: token }),
      );
      for (const object of page.Contents ?? []) keys.push((object.Key ?? '').slice(base.length));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return keys.sort();
  }
}

/** A directory path or s3://bucket/prefix. */
export function createBlobStore(location: string): BlobStore {
  return location.startsWith('s3://') ? new S3BlobStore(location) : new FsBlobStore(location);
}
