import { randomBytes } from 'node:crypto';
import { link, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { BlobExistsError, BlobStore, safeKey } from './blob-store.js';

/** An fs error retold by key: its code stays (so isMissing works), the absolute path does not leak into answers. */
function byKey(error: unknown, operation: string, key: string): Error {
  const code = (error as NodeJS.ErrnoException)?.code;
  const retold = new Error(
    `${operation} ${key}: ${code === 'ENOENT' ? 'not found' : (code ?? 'failed')}`,
  ) as NodeJS.ErrnoException;
  retold.code = code;
  return retold;
}

/** Directories remembered as made; past this many the memory starts over (a store of many versions). */
const MADE_DIRECTORIES_KEPT = 1_000;

export class FsBlobStore implements BlobStore {
  readonly location: string;
  /**
   * Directories this store has made: a put into one skips mkdir. Each file operation waits a turn of the event
   * loop, and under load a turn is long (with 1,000-row batches a put of 6 steps took 285-730 ms), so a put's
   * steps are kept few.
   */
  private readonly made = new Set<string>();

  constructor(root: string) {
    this.location = path.resolve(root);
  }

  async put(key: string, bytes: Buffer, options: { ifAbsent?: boolean } = {}): Promise<void> {
    const target = path.join(this.location, safeKey(key));
    const temp = `${target}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    let renamed = false;
    try {
      await this.writeTemp(path.dirname(target), temp, bytes);
      if (!options.ifAbsent) {
        await rename(temp, target);
        renamed = true;
        return;
      }
      // link(2) fails if the target exists: "only if absent" is atomic, like If-None-Match on S3.
      await link(temp, target);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new BlobExistsError(this.location, key);
      throw byKey(error, 'write', key);
    } finally {
      // After a link the temporary name remains; after a failed write (a full disk) this removes the partial file.
      if (!renamed) await rm(temp, { force: true }).catch(() => undefined);
    }
  }

  private async writeTemp(directory: string, temp: string, bytes: Buffer): Promise<void> {
    if (!this.made.has(directory)) await this.makeDirectory(directory);
    try {
      await writeFile(temp, bytes);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      // Removed since it was made (by hand, or a cleanup): made again, once.
      await this.makeDirectory(directory);
      await writeFile(temp, bytes);
    }
  }

  private async makeDirectory(directory: string): Promise<void> {
    await mkdir(directory, { recursive: true });
    if (this.made.size >= MADE_DIRECTORIES_KEPT) this.made.clear();
    this.made.add(directory);
  }

  async get(key: string): Promise<Buffer> {
    try {
      return await readFile(path.join(this.location, safeKey(key)));
    } catch (error) {
      throw byKey(error, 'read', key);
    }
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
