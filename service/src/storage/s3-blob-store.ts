import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { createS3Client, joinKey, parseS3Uri, S3Location } from '../model/stores/s3-location.js';
import { BlobExistsError, BlobStore, isMissing, safeKey } from './blob-store.js';

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

