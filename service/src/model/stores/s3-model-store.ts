import { S3Client } from '@aws-sdk/client-s3';
import { BlobExistsError, isMissing } from '../../storage/blob-store.js';
import { S3BlobStore } from '../../storage/s3-blob-store.js';
import { ChannelPointer, MANIFEST_FILE, MODEL_FILE, VERSION_PATTERN } from '../manifest.js';
import { ModelStore, VersionExistsError } from '../model-store.js';
import { assertSafeSegments } from './fs-model-store.js';
import { createS3Client } from './s3-location.js';

const CONTENT_TYPES: Record<string, string> = {
  json: 'application/json',
  html: 'text/html; charset=utf-8',
  onnx: 'application/octet-stream',
};

/**
 * A model store under s3://bucket/prefix, with the same layout as the directory store. A version is
 * complete once its manifest exists: the manifest is written last (and with If-None-Match, so two
 * publishers of one version cannot both win on S3), and versions are listed by their manifests.
 * A channel is one object, replaced whole by one PUT.
 */
export class S3ModelStore implements ModelStore {
  readonly location: string;
  private readonly blobs: S3BlobStore;

  constructor(uri: string, s3: S3Client = createS3Client()) {
    this.blobs = new S3BlobStore(uri, s3);
    this.location = this.blobs.location;
  }

  async readChannel(name: string, channel: string): Promise<ChannelPointer | null> {
    assertSafeSegments(name);
    try {
      return JSON.parse((await this.blobs.get(`${name}/channels/${channel}.json`)).toString('utf8')) as ChannelPointer;
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
  }

  async writeChannel(name: string, channel: string, pointer: ChannelPointer): Promise<void> {
    assertSafeSegments(name, pointer.version);
    await this.blobs.put(`${name}/channels/${channel}.json`, Buffer.from(JSON.stringify(pointer, null, 2) + '\n'), {
      contentType: CONTENT_TYPES.json,
    });
  }

  async listVersions(name: string): Promise<string[]> {
    assertSafeSegments(name);
    const prefix = `${name}/versions/`;
    return (await this.blobs.list(prefix))
      .map((key) => key.slice(prefix.length).split('/'))
      .filter(([version, file]) => file === MANIFEST_FILE && VERSION_PATTERN.test(version))
      .map(([version]) => version)
      .sort();
  }

  async readVersionFile(name: string, version: string, file: string): Promise<Buffer> {
    assertSafeSegments(name, version);
    return this.blobs.get(`${name}/versions/${version}/${file}`);
  }

  async fingerprint(name: string, version: string): Promise<string> {
    assertSafeSegments(name, version);
    const parts = await Promise.all(
      [MANIFEST_FILE, MODEL_FILE].map(async (file) => `${file}:${(await this.blobs.stat(`${name}/versions/${version}/${file}`)) ?? 'missing'}`),
    );
    return parts.join('|');
  }

  async publish(name: string, version: string, files: Record<string, Buffer>): Promise<void> {
    assertSafeSegments(name, version);
    if ((await this.listVersions(name)).includes(version)) throw new VersionExistsError(name, version, this.location);
    const ordered = Object.keys(files).sort((a, b) => Number(a === MANIFEST_FILE) - Number(b === MANIFEST_FILE));
    for (const file of ordered) {
      try {
        await this.blobs.put(`${name}/versions/${version}/${file}`, files[file], {
          contentType: CONTENT_TYPES[file.split('.').pop() ?? ''] ?? 'application/octet-stream',
          ifAbsent: file === MANIFEST_FILE,
        });
      } catch (error) {
        if (error instanceof BlobExistsError) throw new VersionExistsError(name, version, this.location);
        throw error;
      }
    }
  }
}
