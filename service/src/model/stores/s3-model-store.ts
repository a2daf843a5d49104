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
import { ChannelPointer, MANIFEST_FILE, MODEL_FILE, VERSION_PATTERN } from '../manifest.js';
import { ModelStore, VersionExistsError } from '../model-store.js';
import { assertSafeSegments } from './fs-model-store.js';
import { createS3Client, joinKey, parseS3Uri, S3Location } from './s3-location.js';

const isMissing = (error: unknown) =>
  error instanceof NoSuchKey ||
  error instanceof NotFound ||
  (error instanceof S3ServiceException && (error.$metadata?.httpStatusCode === 404 || error.name === 'NoSuchKey'));

const CONTENT_TYPES: Record<string, string> = {
  json: 'application/json',
  html: 'text/html; charset=utf-8',
  onnx: 'application/octet-stream',
};

/**
 * A model store under s3://bucket/prefix, with the same layout as the directory store. A version is
 * complete once its manifest exists: the manifest is written last (and with If-None-Match, so two
 * publishers of one version cannot both win on S3), and versions are listed by their manifests.
 */
export class S3ModelStore implements ModelStore {
  readonly location: string;
  private readonly where: S3Location;

  constructor(
    uri: string,
    private readonly s3: S3Client = createS3Client(),
  ) {
    this.where = parseS3Uri(uri);
    this.location = `s3://${this.where.bucket}${this.where.prefix ? `/${this.where.prefix}` : ''}`;
  }

  private key(...parts: string[]): string {
    return joinKey(this.where.prefix, ...parts);
  }

  private async getBytes(key: string): Promise<Buffer> {
    const answer = await this.s3.send(new GetObjectCommand({ Bucket: this.where.bucket, Key: key }));
    return Buffer.from(await answer.Body!.transformToByteArray());
  }

  async readChannel(name: string, channel: string): Promise<ChannelPointer | null> {
    assertSafeSegments(name);
    try {
      return JSON.parse((await this.getBytes(this.key(name, 'channels', `${channel}.json`))).toString('utf8')) as ChannelPointer;
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
  }

  async writeChannel(name: string, channel: string, pointer: ChannelPointer): Promise<void> {
    assertSafeSegments(name, pointer.version);
    // One PUT replaces the object whole: readers see the old pointer or the new one.
    await this.s3.send(
      new PutObjectCommand({
        Bucket: this.where.bucket,
        Key: this.key(name, 'channels', `${channel}.json`),
        Body: JSON.stringify(pointer, null, 2) + '\n',
        ContentType: CONTENT_TYPES.json,
      }),
    );
  }

  async listVersions(name: string): Promise<string[]> {
    assertSafeSegments(name);
    const prefix = this.key(name, 'versions') + '/';
    const versions: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.s3.send(
        new ListObjectsV2Command({ Bucket: this.where.bucket, Prefix: prefix, ContinuationToken: token }),
      );
      for (const object of page.Contents ?? []) {
        const [version, file] = (object.Key ?? '').slice(prefix.length).split('/');
        if (file === MANIFEST_FILE && VERSION_PATTERN.test(version)) versions.push(version);
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return versions.sort();
  }

  async readVersionFile(name: string, version: string, file: string): Promise<Buffer> {
    assertSafeSegments(name, version);
    return this.getBytes(this.key(name, 'versions', version, file));
  }

  async fingerprint(name: string, version: string): Promise<string> {
    assertSafeSegments(name, version);
    const tags = await Promise.all(
      [MANIFEST_FILE, MODEL_FILE].map(async (file) => {
        try {
          const head = await this.s3.send(new HeadObjectCommand({ Bucket: this.where.bucket, Key: this.key(name, 'versions', version, file) }));
          return `${file}:${head.ETag}:${head.ContentLength}`;
        } catch (error) {
          if (isMissing(error)) return `${file}:missing`;
          throw error;
        }
      }),
    );
    return tags.join('|');
  }

  async publish(name: string, version: string, files: Record<string, Buffer>): Promise<void> {
    assertSafeSegments(name, version);
    if ((await this.listVersions(name)).includes(version)) throw new VersionExistsError(name, version, this.location);
    const ordered = Object.keys(files).sort((a, b) => Number(a === MANIFEST_FILE) - Number(b === MANIFEST_FILE));
    for (const file of ordered) {
      const isManifest = file === MANIFEST_FILE;
      try {
        await this.s3.send(
          new PutObjectCommand({
            Bucket: this.where.bucket,
            Key: this.key(name, 'versions', version, file),
            Body: files[file],
            ContentType: CONTENT_TYPES[file.split('.').pop() ?? ''] ?? 'application/octet-stream',
            IfNoneMatch: isManifest ? '*' : undefined,
          }),
        );
      } catch (error) {
        if (isManifest && error instanceof S3ServiceException && error.$metadata?.httpStatusCode === 412) {
          throw new VersionExistsError(name, version, this.location);
        }
        throw error;
      }
    }
  }
}
