import { cp, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { TreesDocument } from '../../service/src/explain/tree-ensemble.js';
import { promote, setChallenger } from '../../service/src/model/channels.js';
import { FsModelStore } from '../../service/src/model/stores/fs-model-store.js';
import { admin, ADMIN_TOKEN, metricValue } from '../helpers/admin.js';
import { VALID_APPLICATION } from '../helpers/applications.js';
import { dagTree, externalDataOnnx, variant, zeroTree } from '../helpers/hostile-artifacts.js';
import { percentile, sleep, startLoad } from '../helpers/load.js';
import { DEMO_STORE } from '../helpers/paths.js';
import { RunningService, startService, waitFor } from '../helpers/service-process.js';

/*
 * Whoever can write the model bucket must not be able to take the service down. Each hostile version below is
 * published with consistent hashes and promoted while the service answers a steady load: it keeps answering
 * (every request 200, p99 within twice that of the same load before), the version is refused with a reason that
 * names what is wrong, the refusal is counted, and the version that served keeps serving.
 */
const NAME = 'loan-default';
let dir: string;
let store: FsModelStore;
let service: RunningService;
let serving: string;

const HOSTILE: { name: string; version: string; files: () => Record<string, Buffer>; reason: RegExp }[] = [
  {
    name: 'a 64-node tree whose nodes have two parents (a DAG), before the real trees',
    version: '20270101T000001Z-0000001',
    files: () =>
      variant('20270101T000001Z-0000001', {
        trees: (doc: TreesDocument) => ({ ...doc, trees: [dagTree(64), ...doc.trees] }),
      }),
    reason: /trees\.json: tree 0 node 2: has two parents/,
  },
  {
    name: '1,000 extra trees of 12 splits with leaf values 0 (they pass the canaries)',
    version: '20270101T000002Z-0000002',
    files: () =>
      variant('20270101T000002Z-0000002', {
        trees: (doc) => ({
          ...doc,
          trees: [...doc.trees, ...Array.from({ length: 1_000 }, () => zeroTree(12, doc.features.length))],
        }),
      }),
    reason: /TreeSHAP tables would take \d+\.\d MiB, more than 32 MiB/,
  },
  {
    name: 'a 66 MB manifest of 200,000 canaries',
    version: '20270101T000003Z-0000003',
    files: () =>
      variant('20270101T000003Z-0000003', {
        manifest: (m) => {
          m.canaries = Array.from({ length: 200_000 }, () => m.canaries[0]);
        },
      }),
    reason: /manifest\.json is \d+ bytes, more than the 4194304 a version's manifest\.json may be/,
  },
  {
    name: 'an ONNX model whose initializer is external data (read from the working directory)',
    version: '20270101T000004Z-0000004',
    files: () => variant('20270101T000004Z-0000004', { onnx: externalDataOnnx('local.txt') }),
    reason: /model\.onnx keeps tensor 'w' as external data/,
  },
];

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'hostile-store-'));
  await cp(DEMO_STORE, dir, { recursive: true });
  store = new FsModelStore(dir);
  serving = (await store.readChannel(NAME, 'production'))!.version;
  for (const hostile of HOSTILE) await store.publish(NAME, hostile.version, hostile.files());
  service = await startService({
    MODEL_STORE: dir,
    MODEL_POLL_INTERVAL_S: '1',
    ADMIN_TOKEN,
    RATE_LIMIT_PER_MINUTE: '0',
    MODEL_VERIFY_TIMEOUT_MS: '10000',
  });
});

afterAll(async () => {
  await service?.stop();
  await rm(dir, { recursive: true, force: true });
});

/** p99 of a steady load of /predict over `ms`, with every status seen. */
async function underLoad(ms: number, during: () => Promise<unknown> = () => sleep(ms)) {
  const load = startLoad(`${service.url}/predict`, () => VALID_APPLICATION, { concurrency: 8 });
  const started = performance.now();
  await during();
  const left = ms - (performance.now() - started);
  if (left > 0) await sleep(left);
  const samples = await load.stop();
  return {
    p99: percentile(
      samples.map((s) => s.latencyMs),
      99,
    ),
    statuses: [...new Set(samples.map((s) => s.status))],
    count: samples.length,
  };
}

it('keeps answering while each hostile version is promoted, refuses it with its reason, and counts the refusal', async () => {
  await underLoad(1_500); // warm-up
  const before = await underLoad(3_000);
  expect(before.statuses).toEqual([200]);
  const figures: string[] = [`before: p99 ${before.p99.toFixed(1)} ms over ${before.count} requests`];
  for (const hostile of HOSTILE) {
    // A baseline just before each promotion: other suites share the machine, and their load moves over seconds.
    const baseline = await underLoad(2_000);
    const failures = await metricValue(service.url, 'model_swaps_total', { outcome: 'failure' });
    let reload: { status: number; json: { message?: string[] } } | undefined;
    const during = await underLoad(3_000, async () => {
      await promote(store, NAME, 'production', hostile.version);
      reload = await admin(service.url, 'POST', '/admin/models/reload');
    });
    figures.push(`${hostile.name}: p99 ${during.p99.toFixed(1)} ms over ${during.count} requests`);
    expect(during.statuses).toEqual([200]);
    expect(during.p99).toBeLessThanOrEqual(Math.max(2 * baseline.p99, baseline.p99 + 10));
    expect(reload!.status).toBe(422);
    expect(reload!.json.message!.join(' ')).toMatch(hostile.reason);
    expect(await metricValue(service.url, 'model_swaps_total', { outcome: 'failure' })).toBeGreaterThan(failures);
    expect((await admin(service.url, 'GET', '/admin/models')).json.active).toBe(serving);
    await promote(store, NAME, 'production', serving);
  }
  console.log(`hostile versions under load (8 connections): ${figures.join('; ')}`);
});

it('refuses the same versions on the shadow channel, and production never notices', async () => {
  const failures = await metricValue(service.url, 'challenger_loads_total', { channel: 'shadow', outcome: 'failure' });
  await setChallenger(store, NAME, 'shadow', HOSTILE[0].version);
  await waitFor(
    async () =>
      (await metricValue(service.url, 'challenger_loads_total', { channel: 'shadow', outcome: 'failure' })) > failures,
    10_000,
  );
  const after = await underLoad(1_000);
  expect(after.statuses).toEqual([200]);
  expect((await admin(service.url, 'GET', '/admin/models')).json.challengers.shadow.serving).toBeNull();
  await setChallenger(store, NAME, 'shadow', null);
});
