import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { BlobExistsError, BlobStore, isMissing, safeKey, StoreTimeoutError } from './blob-store.js';
import { createS3Client, DEFAULT_S3_TIMEOUT_MS, joinKey, parseS3Uri, S3Location } from './s3-location.js';

const httpStatus = (error: unknown) =>
  (error as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;

export class S3BlobStore implements BlobStore {
  readonly location: string;
  private readonly where: S3Location;

  constructor(
    uri: string,
    private readonly s3: S3Client = createS3Client(),
    private readonly timeoutMs = DEFAULT_S3_TIMEOUT_MS,
  ) {
    this.where = parseS3Uri(uri);
    this.location = `s3://${this.where.bucket}${this.where.prefix ? `/${this.where.prefix}` : ''}`;
  }

  /**
   * Runs one S3 call (retries included, and the body download for a GET) under one deadline: the abort
   * signal ends the request and its socket, so nothing waits on a hung endpoint past timeoutMs.
   */
  private async withDeadline<T>(operation: string, key: string, call: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const controller = new AbortController();
    let timedOut = false;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        timedOut = true;
        controller.abort();
        reject(new StoreTimeoutError(operation, key, this.timeoutMs));
      }, this.timeoutMs);
    });
    try {
      return await Promise.race([call(controller.signal), deadline]);
    } catch (error) {
      if (timedOut) throw new StoreTimeoutError(operation, key, this.timeoutMs);
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  private keyOf(key: string): string {
    return joinKey(this.where.prefix, safeKey(key));
  }

  async put(key: string, bytes: Buffer, options: { ifAbsent?: boolean; contentType?: string } = {}): Promise<void> {
    // The HEAD first serves servers without conditional writes (s3rver ignores If-None-Match). On AWS a HEAD of a
    // missing key answers 403, not 404, to a role whose s3:ListBucket is limited by an s3:prefix condition (the
    // retraining task's): that is no answer at all, and the conditional PUT below decides.
    if (
      options.ifAbsent &&
      (await this.exists(key).catch((error: unknown) => (httpStatus(error) === 403 ? false : Promise.reject(error))))
    ) {
      throw new BlobExistsError(this.location, key);
    }
    try {
      await this.withDeadline('put', key, (abortSignal) =>
        this.s3.send(
          new PutObjectCommand({
            Bucket: this.where.bucket,
            Key: this.keyOf(key),
            Body: bytes,
            ContentType: options.contentType,
            IfNoneMatch: options.ifAbsent ? '*' : undefined,
          }),
          { abortSignal },
        ),
      );
    } catch (error) {
      if (httpStatus(error) === 412) throw new BlobExistsError(this.location, key);
      throw error;
    }
  }

  async get(key: string): Promise<Buffer> {
    return this.withDeadline('get', key, async (abortSignal) => {
      const answer = await this.s3.send(new GetObjectCommand({ Bucket: this.where.bucket, Key: this.keyOf(key) }), {
        abortSignal,
      });
      return Buffer.from(await answer.Body!.transformToByteArray());
    });
  }

  async exists(key: string): Promise<boolean> {
    return (await this.stat(key)) !== null;
  }

  async stat(key: string): Promise<string | null> {
    try {
      const head = await this.withDeadline('head', key, (abortSignal) =>
        this.s3.send(new HeadObjectCommand({ Bucket: this.where.bucket, Key: this.keyOf(key) }), { abortSignal }),
      );
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
      const page = await this.withDeadline('list', prefix || '/', (abortSignal) =>
        this.s3.send(
          new ListObjectsV2Command({ Bucket: this.where.bucket, Prefix: base + prefix, ContinuationToken: token }),
          { abortSignal },
        ),
      );
      for (const object of page.Contents ?? []) keys.push((object.Key ?? '').slice(base.length));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return keys.sort();
  }
}
