import { BlobExistsError, BlobStore, isMissing } from '../../storage/blob-store.js';
import {
  ChallengerPointer,
  ChannelPointer,
  MANIFEST_FILE,
  MODEL_FILE,
  NAME_PATTERN,
  VERSION_PATTERN,
} from '../manifest.js';
import { ArtifactTooLargeError, ModelStore, VersionExistsError } from '../model-store.js';

export function assertSafeSegments(name: string, version?: string, file?: string): void {
  if (!NAME_PATTERN.test(name)) throw new Error(`invalid model name '${name}'`);
  if (version !== undefined && !VERSION_PATTERN.test(version)) throw new Error(`invalid version '${version}'`);
  if (file !== undefined && !/^[A-Za-z0-9._-]+$/.test(file)) throw new Error(`invalid file name '${file}'`);
}

const CONTENT_TYPES: Record<string, string> = {
  json: 'application/json',
  html: 'text/html; charset=utf-8',
  onnx: 'application/octet-stream',
};

/**
 * The model store layout of docs/model-store.md on any BlobStore (a directory or an S3 prefix):
 *   <name>/versions/<version>/{model.onnx,manifest.json,model-card.html}, <name>/channels/<channel>.json
 * A version exists once its manifest does: the manifest is written last and only if absent (atomically on
 * both backends), so a reader never sees half a version and two publishers of one version cannot both win.
 * A channel is one object, replaced whole by one atomic put.
 */
export class BlobModelStore implements ModelStore {
  readonly location: string;

  constructor(private readonly blobs: BlobStore) {
    this.location = blobs.location;
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

  async writeChannel(name: string, channel: string, pointer: ChannelPointer | ChallengerPointer): Promise<void> {
    assertSafeSegments(name, pointer.version ?? undefined);
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

  async readVersionFile(name: string, version: string, file: string, maxBytes?: number): Promise<Buffer> {
    assertSafeSegments(name, version, file);
    const key = `${name}/versions/${version}/${file}`;
    if (maxBytes !== undefined) {
      // stat's identity starts with the size (a HEAD on S3): a file too large is never downloaded.
      const identity = await this.blobs.stat(key);
      const size = identity === null ? NaN : Number(identity.split(':')[0]);
      if (size > maxBytes) throw new ArtifactTooLargeError(file, size, maxBytes);
    }
    const bytes = await this.blobs.get(key);
    // The object may have been replaced between the two calls.
    if (maxBytes !== undefined && bytes.length > maxBytes)
      throw new ArtifactTooLargeError(file, bytes.length, maxBytes);
    return bytes;
  }

  async fingerprint(name: string, version: string): Promise<string> {
    assertSafeSegments(name, version);
    const parts = await Promise.all(
      [MANIFEST_FILE, MODEL_FILE].map(
        async (file) => `${file}:${(await this.blobs.stat(`${name}/versions/${version}/${file}`)) ?? 'missing'}`,
      ),
    );
    return parts.join('|');
  }

  async publish(name: string, version: string, files: Record<string, Buffer>): Promise<void> {
    assertSafeSegments(name, version);
    if ((await this.listVersions(name)).includes(version)) throw new VersionExistsError(name, version, this.location);
    const ordered = Object.keys(files).sort((a, b) => Number(a === MANIFEST_FILE) - Number(b === MANIFEST_FILE));
    for (const file of ordered) {
      assertSafeSegments(name, version, file);
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
