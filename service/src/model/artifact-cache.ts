import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { MODEL_FILE } from './manifest.js';
import { sha256 } from './sha256.js';

/**
 * A local copy of verified model files from a remote store. Only bytes whose sha256 matched their manifest
 * are written, by temp file and rename, and a cached file is used only if it still hashes right: a partly
 * written or damaged copy is never loaded, it is fetched again.
 */
export class ArtifactCache {
  constructor(private readonly root: string) {}

  private file(name: string, version: string): string {
    return path.join(this.root, name, version, MODEL_FILE);
  }

  async get(name: string, version: string, expectedSha256: string): Promise<Buffer | null> {
    try {
      const bytes = await readFile(this.file(name, version));
      return sha256(bytes) === expectedSha256 ? bytes : null;
    } catch {
      return null;
    }
  }

  async put(name: string, version: string, bytes: Buffer): Promise<void> {
    const target = this.file(name, version);
    await mkdir(path.dirname(target), { recursive: true });
    const temp = `${target}.${randomBytes(4).toString('hex')}.tmp`;
    await writeFile(temp, bytes);
    await rename(temp, target);
  }
}

/** The local cache of verified artifacts: an ArtifactCache for a remote store, null for a directory store. */
export const ARTIFACT_CACHE = Symbol('ARTIFACT_CACHE');
