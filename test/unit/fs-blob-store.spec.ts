import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { FsBlobStore } from '../../service/src/storage/fs-blob-store.js';

describe('FsBlobStore', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'fs-blob-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('removes its temp file when a write fails, and names the key, not the local path', async () => {
    // A directory where the object should go: the rename at the end of the write fails.
    await mkdir(path.join(root, 'dt=2026-01-01', 'part-1.jsonl.gz', 'inside'), { recursive: true });
    const store = new FsBlobStore(root);
    const failure = await store.put('dt=2026-01-01/part-1.jsonl.gz', Buffer.from('x')).catch((e: Error) => e);
    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).message).toMatch(/^write dt=2026-01-01\/part-1.jsonl.gz: E/);
    expect((failure as Error).message).not.toContain(root);
    const left = await readdir(path.join(root, 'dt=2026-01-01'));
    expect(left.filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });

  it('writes into a directory removed since its first put (it remembers directories it made), leaving no temp file', async () => {
    const store = new FsBlobStore(root);
    await store.put('dt=2026-01-01/part-1.jsonl.gz', Buffer.from('one'));
    await rm(path.join(root, 'dt=2026-01-01'), { recursive: true });
    await store.put('dt=2026-01-01/part-2.jsonl.gz', Buffer.from('two'));
    expect(await readdir(path.join(root, 'dt=2026-01-01'))).toEqual(['part-2.jsonl.gz']);
    expect((await store.get('dt=2026-01-01/part-2.jsonl.gz')).toString()).toBe('two');
    // Only if absent: the temporary name a link leaves is removed too.
    await store.put('dt=2026-01-01/part-3.jsonl.gz', Buffer.from('three'), { ifAbsent: true });
    expect((await readdir(path.join(root, 'dt=2026-01-01'))).sort()).toEqual(['part-2.jsonl.gz', 'part-3.jsonl.gz']);
  });

  it('keeps the ENOENT code on a missing key, so callers can tell missing from broken', async () => {
    const store = new FsBlobStore(root);
    const failure = (await store.get('a/b.json').catch((e: unknown) => e)) as NodeJS.ErrnoException;
    expect(failure.code).toBe('ENOENT');
    expect(failure.message).toBe('read a/b.json: not found');
    await writeFile(path.join(root, 'c.json'), '{}');
    expect((await store.get('c.json')).toString()).toBe('{}');
  });
});
