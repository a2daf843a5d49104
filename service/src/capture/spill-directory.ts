import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { readdir, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { FsBlobStore } from '../storage/fs-blob-store.js';
import type { SpillStore } from './capture.tokens.js';

const PART_FILE = /\.jsonl\.gz$/;

/**
 * CAPTURE_SPILL_DIR: prediction files the log could not take yet, under the keys they will have in the log
 * (dt=YYYY-MM-DD/part-….jsonl.gz), and no more than maxBytes of them. Files are written whole (a .tmp renamed,
 * by FsBlobStore except at the last moment of a shutdown), so a crash leaves no half file under a final name; files
 * left by an earlier run are found at start. Each is
 * delivered later, oldest first, and deleted only once the log has it (at least once: a crash between the
 * two sends it again).
 */
export class SpillDirectory implements SpillStore {
  /** Keys waiting for delivery, oldest first, with their sizes. */
  private readonly waiting: { key: string; bytes: number }[] = [];
  private bytes = 0;
  private readonly store: FsBlobStore;

  constructor(
    readonly root: string,
    private readonly maxBytes: number,
  ) {
    this.store = new FsBlobStore(root);
  }

  get files(): number {
    return this.waiting.length;
  }

  /** Finds the files an earlier run left (none when the directory does not exist); throws when it cannot be read. */
  async load(): Promise<void> {
    let entries: string[];
    try {
      entries = (await readdir(this.root, { recursive: true })).map(String);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    const found = await Promise.all(
      entries
        .filter((e) => PART_FILE.test(e))
        .map(async (key) => ({
          key: key.split(path.sep).join('/'),
          bytes: (await stat(path.join(this.root, key))).size,
        })),
    );
    // Part names start with their write time: name order is age order within a day, and days sort by name.
    for (const file of found.sort((a, b) => a.key.localeCompare(b.key))) this.track(file.key, file.bytes);
  }

  /** Whether `bytes` more fit under the cap. */
  hasRoom(bytes: number): boolean {
    return this.bytes + bytes <= this.maxBytes;
  }

  /** For the last moment of a shutdown (no event loop to wait on); ignores the cap, since the alternative is loss. */
  writeSync(key: string, body: Uint8Array): void {
    const target = path.join(this.root, key);
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(`${target}.tmp`, body);
    renameSync(`${target}.tmp`, target);
    this.track(key, body.byteLength);
  }

  async write(key: string, body: Uint8Array): Promise<void> {
    await this.store.put(key, Buffer.from(body.buffer, body.byteOffset, body.byteLength));
    this.track(key, body.byteLength);
  }

  /** Hands the oldest file to `put` and deletes it once `put` succeeded; throws what `put` threw. */
  async deliverOldest(put: (key: string, body: Buffer) => Promise<void>): Promise<void> {
    const oldest = this.waiting[0];
    if (!oldest) return;
    await put(oldest.key, await this.store.get(oldest.key));
    await unlink(path.join(this.root, oldest.key)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
    this.waiting.shift();
    this.bytes -= oldest.bytes;
  }

  private track(key: string, bytes: number): void {
    this.waiting.push({ key, bytes });
    this.bytes += bytes;
  }
}
