import { randomBytes } from 'node:crypto';
import { access, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ChannelPointer, MANIFEST_FILE, MODEL_FILE, NAME_PATTERN, VERSION_PATTERN } from '../manifest.js';
import { ModelStore, VersionExistsError } from '../model-store.js';

export function assertSafeSegments(name: string, version?: string): void {
  if (!NAME_PATTERN.test(name)) throw new Error(`invalid model name '${name}'`);
  if (version !== undefined && !VERSION_PATTERN.test(version)) throw new Error(`invalid version '${version}'`);
}

const isMissing = (error: unknown) => (error as NodeJS.ErrnoException)?.code === 'ENOENT';

/** A model store in a local directory. Atomicity comes from rename(2) within one filesystem. */
export class FsModelStore implements ModelStore {
  readonly location: string;

  constructor(root: string) {
    this.location = path.resolve(root);
  }

  private modelDir(name: string): string {
    return path.join(this.location, name);
  }

  async readChannel(name: string, channel: string): Promise<ChannelPointer | null> {
    assertSafeSegments(name);
    try {
      const text = await readFile(path.join(this.modelDir(name), 'channels', `${channel}.json`), 'utf8');
      return JSON.parse(text) as ChannelPointer;
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
  }

  async writeChannel(name: string, channel: string, pointer: ChannelPointer): Promise<void> {
    assertSafeSegments(name, pointer.version);
    const dir = path.join(this.modelDir(name), 'channels');
    await mkdir(dir, { recursive: true });
    const target = path.join(dir, `${channel}.json`);
    const temp = `${target}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    await writeFile(temp, JSON.stringify(pointer, null, 2) + '\n');
    await rename(temp, target);
  }

  async listVersions(name: string): Promise<string[]> {
    assertSafeSegments(name);
    try {
      const entries = await readdir(path.join(this.modelDir(name), 'versions'), { withFileTypes: true });
      return entries.filter((e) => e.isDirectory() && VERSION_PATTERN.test(e.name)).map((e) => e.name).sort();
    } catch (error) {
      if (isMissing(error)) return [];
      throw error;
    }
  }

  async readVersionFile(name: string, version: string, file: string): Promise<Buffer> {
    assertSafeSegments(name, version);
    return readFile(path.join(this.modelDir(name), 'versions', version, path.basename(file)));
  }

  async fingerprint(name: string, version: string): Promise<string> {
    assertSafeSegments(name, version);
    const dir = path.join(this.modelDir(name), 'versions', version);
    const parts = await Promise.all(
      [MANIFEST_FILE, MODEL_FILE].map((file) =>
        stat(path.join(dir, file)).then(
          (s) => `${file}:${s.size}:${s.mtimeMs}`,
          () => `${file}:missing`,
        ),
      ),
    );
    return parts.join('|');
  }

  async publish(name: string, version: string, files: Record<string, Buffer>): Promise<void> {
    assertSafeSegments(name, version);
    const versionsDir = path.join(this.modelDir(name), 'versions');
    const target = path.join(versionsDir, version);
    if (await access(target).then(() => true, () => false)) {
      throw new VersionExistsError(name, version, this.location);
    }
    await mkdir(versionsDir, { recursive: true });
    // Staged beside the target, then renamed: a reader sees the whole version or none of it.
    const staging = path.join(versionsDir, `.staging-${version}-${randomBytes(4).toString('hex')}`);
    await mkdir(staging);
    try {
      for (const [file, bytes] of Object.entries(files)) await writeFile(path.join(staging, path.basename(file)), bytes);
      await rename(staging, target).catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOTEMPTY' || error.code === 'EEXIST') throw new VersionExistsError(name, version, this.location);
        throw error;
      });
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }
}
