import { jest } from '@jest/globals';
import { Test, TestingModule } from '@nestjs/testing';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { appConfig, loadAppConfig } from '../config/app.config.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { PreprocessingService } from '../preprocessing/preprocessing.service.js';
import { ARTIFACT_CACHE } from './artifact-cache.js';
import { ChannelPointer, MANIFEST_FILE, MODEL_FILE, ModelManifest, TREES_FILE } from './manifest.js';
import { MODEL_STORE, ModelStore } from './model-store.js';
import { ModelService } from './model.service.js';

/*
 * ModelService with a fake store through Nest's testing module (and real ONNX Runtime verifying the demo
 * model's bytes): following the channel, pins, a version that fails verification, leases across a swap and a
 * store that cannot be read. No server, no process.
 */
const DEMO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../models/loan-default');
const DEMO_VERSION = (JSON.parse(readFileSync(path.join(DEMO, 'channels/production.json'), 'utf8')) as ChannelPointer)
  .version;

/** An in-memory model store; `failing` makes every read throw, `reads` counts artifact reads. */
class MemoryModelStore implements ModelStore {
  readonly location = 'memory://models';
  readonly versions = new Map<string, Record<string, Buffer>>();
  channel: ChannelPointer | null = null;
  failing = false;
  reads = 0;
  private check(): void {
    if (this.failing) throw new Error('store unreachable');
  }
  async readChannel(): Promise<ChannelPointer | null> {
    this.check();
    return this.channel;
  }
  async writeChannel(_name: string, _channel: string, pointer: ChannelPointer): Promise<void> {
    this.channel = pointer;
  }
  async listVersions(): Promise<string[]> {
    this.check();
    return [...this.versions.keys()].sort();
  }
  async readVersionFile(_name: string, version: string, file: string): Promise<Buffer> {
    this.check();
    this.reads++;
    const bytes = this.versions.get(version)?.[file];
    if (!bytes) throw Object.assign(new Error(`${version}/${file} not found`), { code: 'ENOENT' });
    return bytes;
  }
  async fingerprint(_name: string, version: string): Promise<string> {
    this.check();
    return String(this.versions.get(version)?.[MODEL_FILE]?.length ?? 0);
  }
  async publish(_name: string, version: string, files: Record<string, Buffer>): Promise<void> {
    this.versions.set(version, files);
  }
  /** The demo artifact under another version id (same ONNX bytes, so it verifies), or with damaged bytes. */
  addDemoAs(version: string, damaged = false): void {
    const manifest = JSON.parse(
      readFileSync(path.join(DEMO, 'versions', DEMO_VERSION, MANIFEST_FILE), 'utf8'),
    ) as ModelManifest;
    const onnx = readFileSync(path.join(DEMO, 'versions', DEMO_VERSION, MODEL_FILE));
    if (damaged) onnx[onnx.length - 1] ^= 0xff;
    const trees = readFileSync(path.join(DEMO, 'versions', DEMO_VERSION, TREES_FILE));
    this.versions.set(version, {
      [MANIFEST_FILE]: Buffer.from(JSON.stringify({ ...manifest, version })),
      [MODEL_FILE]: onnx,
      [TREES_FILE]: trees,
    });
  }
  point(version: string): void {
    this.channel = { version, updated_at: new Date().toISOString(), previous: this.channel?.version ?? null };
  }
}

const A = '20261201T000000Z-aaaaaaa';
const B = '20261202T000000Z-bbbbbbb';
const BROKEN = '20261203T000000Z-ccccccc';

let moduleRef: TestingModule;
let store: MemoryModelStore;
let models: ModelService;

beforeEach(async () => {
  store = new MemoryModelStore();
  store.addDemoAs(A);
  store.addDemoAs(B);
  store.addDemoAs(BROKEN, true);
  store.point(A);
  moduleRef = await Test.createTestingModule({
    providers: [
      ModelService,
      PreprocessingService,
      MetricsService,
      { provide: appConfig.KEY, useValue: loadAppConfig({ MODEL_POLL_INTERVAL_S: '0', LOG_LEVEL: 'error' }) },
      { provide: MODEL_STORE, useValue: store },
      { provide: ARTIFACT_CACHE, useValue: null },
    ],
  }).compile();
  moduleRef.useLogger(false);
  await moduleRef.init(); // bootstrap starts the first load
  models = moduleRef.get(ModelService);
  await models.refresh();
});

afterEach(async () => {
  await moduleRef.close();
  await models.current()?.release();
});

describe('ModelService (fake store through the testing module)', () => {
  it('serves the channel version and swaps when the channel moves', async () => {
    expect(models.current()?.version).toBe(A);
    store.point(B);
    expect(await models.refresh()).toEqual({ status: 'swapped', version: B, previous: A });
    expect(models.current()?.version).toBe(B);
  });

  it('stays on a pinned version whatever the channel says, and follows the channel again once unpinned', async () => {
    expect(await models.activate(B)).toMatchObject({ status: 'swapped', version: B });
    store.point(A);
    expect(await models.refresh()).toMatchObject({ status: 'unchanged', version: B });
    expect(models.describeActive()).toMatchObject({ version: B, pinned: true });
    expect(await models.unpin()).toMatchObject({ status: 'swapped', version: A });
    expect(models.pinnedVersion).toBeNull();
    expect(await models.activate('20991231T000000Z-0000000')).toEqual({
      status: 'not_found',
      version: '20991231T000000Z-0000000',
    });
  });

  it('refuses a version whose bytes do not match its manifest, keeps serving the previous one, and does not retry it unchanged', async () => {
    store.point(BROKEN);
    const outcome = await models.refresh();
    expect(outcome).toMatchObject({ status: 'failed', version: BROKEN, serving: A });
    expect((outcome as { reason: string }).reason).toMatch(/sha256/);
    expect(models.current()?.version).toBe(A);
    const reads = store.reads;
    // Said again (an operator's reload learns why), but not tried again: no read of its files.
    const again = await models.refresh();
    expect(again).toMatchObject({ status: 'failed', version: BROKEN, serving: A });
    expect((again as { reason: string }).reason).toMatch(/^failed before, not tried again.*sha256/);
    expect(store.reads).toBe(reads);
  });

  it('keeps a model leased by a request alive across a swap, and releases it when the request ends', async () => {
    const old = models.current()!;
    const release = jest.spyOn(old.session, 'release');
    let finish!: () => void;
    const request = models.withModel(
      (model) => new Promise<string>((resolve) => (finish = () => resolve(model.version))),
    );
    store.point(B);
    await models.refresh();
    expect(models.current()?.version).toBe(B);
    expect(release).not.toHaveBeenCalled();
    finish();
    expect(await request).toBe(A);
    expect(release).toHaveBeenCalledTimes(1);
  });

  it('keeps serving when the store cannot be read, and counts the failure', async () => {
    store.failing = true;
    expect(await models.refresh()).toMatchObject({ status: 'failed', serving: A });
    expect(models.current()?.version).toBe(A);
    const failures = await moduleRef.get(MetricsService).storeReadFailures.get();
    expect(failures.values.find((v) => v.labels.reason === 'error')?.value).toBe(1);
  });
});
