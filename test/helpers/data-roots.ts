import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Engine, openEngine } from '../../jobs/tables/engine.js';
import type { BlobStore } from '../../service/src/storage/blob-store.js';
import { FsBlobStore } from '../../service/src/storage/fs-blob-store.js';
import { S3BlobStore } from '../../service/src/storage/s3-blob-store.js';
import { startS3Server } from './s3-server.js';

/** A fresh data root, and how to be done with it. */
export type MakeDataRoot = () => Promise<{ root: BlobStore; done: () => Promise<void> }>;

/**
 * The two kinds of data root every table suite runs against (describe.each): a directory, and a bucket on a real
 * S3-compatible server (s3rver on loopback).
 */
export const DATA_ROOTS: [string, MakeDataRoot][] = [
  [
    'a directory',
    async () => ({
      root: new FsBlobStore(await mkdtemp(path.join(os.tmpdir(), 'data-root-'))),
      done: async () => undefined,
    }),
  ],
  [
    's3rver',
    async () => {
      const s3 = await startS3Server();
      await s3.createBucket('data');
      return { root: new S3BlobStore('s3://data/root', s3.client), done: () => s3.dispose() };
    },
  ],
];

/** What a table suite's test works with: a data root, an engine and the engine's work directory. */
export interface TablesContext {
  root: BlobStore;
  engine: Engine;
  work: string;
}

/**
 * A fresh data root (made by `make`) and engine before each test, both gone after it; `setUp` fills the root
 * first. The returned object holds the current test's.
 */
export function tablesPerTest(make: MakeDataRoot, setUp: (root: BlobStore) => Promise<void> = async () => {}) {
  const context = {} as TablesContext;
  let done: () => Promise<void>;
  beforeEach(async () => {
    ({ root: context.root, done } = await make());
    context.work = await mkdtemp(path.join(os.tmpdir(), 'tables-work-'));
    context.engine = await openEngine({ workDir: context.work, memoryLimitMb: 256 });
    await setUp(context.root);
  });
  afterEach(async () => {
    context.engine.close();
    await rm(context.work, { recursive: true, force: true });
    await done();
  });
  return context;
}
