import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { verifyArtifactFiles } from '../../service/src/model/verify-artifact.js';
import { ModelManifest } from '../../service/src/model/manifest.js';
import { promote, publishVerified, rollback } from '../../service/src/model/channels.js';
import { S3ModelStore } from '../../service/src/model/stores/s3-model-store.js';
import { admin, ADMIN_TOKEN, metricValue } from '../helpers/admin.js';
import { VALID_APPLICATION } from '../helpers/applications.js';
import { percentile, sleep, startLoad } from '../helpers/load.js';
import { trainedFixtures, TrainedFixture } from '../helpers/model-fixtures.js';
import { ROOT } from '../helpers/paths.js';
import { S3TestServer, startS3Server } from '../helpers/s3-server.js';
import { postJson, RunningService, startService, waitFor } from '../helpers/service-process.js';

/*
 * Hot swap on the real service reading a real S3-compatible store: promotions and rollbacks under load,
 * and every kind of bad artifact or store failure while the current model keeps serving.
 */
const NAME = 'loan-default';
const POLL_S = 1;
let s3: S3TestServer;
let store: S3ModelStore;
let v1: TrainedFixture;
let v2: TrainedFixture;
const expected = new Map<string, number>();

beforeAll(async () => {
  s3 = await startS3Server();
  await s3.createBucket('models');
  store = new S3ModelStore('s3://models', s3.client);
  [v1, v2] = await trainedFixtures([11, 12]);
  for (const fixture of [v1, v2]) {
    await publishVerified(store, fixture.files);
    const model = await verifyArtifactFiles(fixture.files);
    expected.set(fixture.version, (await model.score([VALID_APPLICATION]))[0]);
    await model.release();
  }
  await promote(store, NAME, 'production', v1.version);
  expect(expected.get(v1.version)).not.toBe(expected.get(v2.version));
});

afterAll(async () => {
  await s3.dispose();
});

// The load here runs well past the default 60,000 requests a minute per client; limits are tested elsewhere.
const serviceEnv = (poll: number) => ({
  ...s3.env,
  MODEL_STORE: 's3://models',
  MODEL_POLL_INTERVAL_S: String(poll),
  ADMIN_TOKEN,
  RATE_LIMIT_PER_MINUTE: '0',
});

describe('promotions and rollbacks under load', () => {
  let service: RunningService;
  beforeAll(async () => {
    service = await startService(serviceEnv(POLL_S));
  });
  afterAll(async () => {
    await service.stop();
  });

  it('follows the channel within one poll interval with zero failed or mixed answers', async () => {
    const load = startLoad(`${service.url}/predict`, () => VALID_APPLICATION, { concurrency: 8 });
    await sleep(1_500); // warm-up (JIT, connection setup), left out of the steady figures
    const t0 = performance.now();
    await sleep(2_000);
    const steadyEnd = performance.now();
    const moves: { target: string; at: number; lagMs: number }[] = [];
    const plan: (() => Promise<string>)[] = [
      async () => (await promote(store, NAME, 'production', v2.version)).version,
      async () => (await rollback(store, NAME, 'production')).version,
      async () => (await promote(store, NAME, 'production', v2.version)).version,
      async () => (await rollback(store, NAME, 'production')).version,
      async () => (await promote(store, NAME, 'production', v2.version)).version,
    ];
    for (const move of plan) {
      const at = performance.now();
      const target = await move();
      await waitFor(
        async () => load.samples.some((s) => s.startedAt > at && s.body?.model_version === target),
        10_000,
        20,
      );
      const first = load.samples.find((s) => s.startedAt > at && s.body?.model_version === target)!;
      moves.push({ target, at, lagMs: first.startedAt + first.latencyMs - at });
      await sleep(1_200);
    }
    const samples = await load.stop();

    // Zero non-2xx answers, and every answer comes whole from one published version.
    expect(samples.filter((s) => s.status !== 200)).toEqual([]);
    for (const s of samples) {
      expect(expected.has(s.body.model_version)).toBe(true);
      expect(s.body.probability_of_default).toBeCloseTo(expected.get(s.body.model_version)!, 7);
    }
    // The served version follows the channel within one poll interval (plus the time to verify a version).
    for (const m of moves) expect(m.lagMs).toBeLessThan(POLL_S * 1000 + 1_000);

    const latencies = (from: number, to: number) =>
      samples.filter((s) => s.startedAt >= from && s.startedAt < to).map((s) => s.latencyMs);
    const steady = latencies(t0, steadyEnd);
    const swapping = moves.flatMap((m) => latencies(m.at, m.at + m.lagMs + 300));
    const report = {
      requests: samples.length,
      failed: samples.filter((s) => s.status !== 200).length,
      poll_interval_s: POLL_S,
      lag_ms: moves.map((m) => Math.round(m.lagMs)),
      steady: { n: steady.length, p50_ms: percentile(steady, 50), p99_ms: percentile(steady, 99) },
      during_swaps: { n: swapping.length, p50_ms: percentile(swapping, 50), p99_ms: percentile(swapping, 99) },
    };
    await mkdir(path.join(ROOT, 'var/reports'), { recursive: true });
    await writeFile(path.join(ROOT, 'var/reports/hot-swap.json'), JSON.stringify(report, null, 2));
    console.log(`hot swap under load: ${JSON.stringify(report)}`);
    expect(swapping.length).toBeGreaterThan(0);
  });

  it('tries a bad version once, not at every poll, and again only when the channel moves', async () => {
    await waitFor(
      async () =>
        ((await (await fetch(`${service.url}/models/active`)).json()) as { version: string }).version === v2.version,
      5_000,
    );
    const bad = await publishBroken('20300101T000000Z-badbad1', (m) => (m.canaries[0].probability_of_default += 0.01));
    const failures = () => metricValue(service.url, 'model_swaps_total', { outcome: 'failure' });
    const before = await failures();
    await promote(store, NAME, 'production', bad);
    await waitFor(async () => (await failures()) === before + 1, 5_000);
    await sleep(POLL_S * 3_000 + 500); // three more polls
    expect(await failures()).toBe(before + 1);
    await promote(store, NAME, 'production', bad); // the channel moves again (new updated_at)
    await waitFor(async () => (await failures()) === before + 2, 5_000);
    const answer = await postJson(`${service.url}/predict`, VALID_APPLICATION);
    expect(answer.json.model_version).toBe(v2.version);
    await promote(store, NAME, 'production', v2.version);
  });
});

/** Publishes a damaged copy of v2 under a new version id, bypassing verification as a careless tool would. */
async function publishBroken(
  version: string,
  edit: (m: ModelManifest) => void = () => undefined,
  onnx?: Buffer,
): Promise<string> {
  const manifest = JSON.parse(v2.files['manifest.json'].toString()) as ModelManifest;
  manifest.version = version;
  edit(manifest);
  await store.publish(NAME, version, {
    ...v2.files,
    'model.onnx': onnx ?? v2.files['model.onnx'],
    'manifest.json': Buffer.from(JSON.stringify(manifest)),
  });
  return version;
}

describe('faults: the current model keeps serving', () => {
  let service: RunningService;
  beforeAll(async () => {
    await promote(store, NAME, 'production', v1.version);
    service = await startService(serviceEnv(0));
  });
  afterAll(async () => {
    await service.stop();
  });

  const stillServing = async () => {
    const answer = await postJson(`${service.url}/predict`, VALID_APPLICATION);
    expect(answer.status).toBe(200);
    expect(answer.json.model_version).toBe(v1.version);
    expect((await fetch(`${service.url}/health/ready`)).status).toBe(200);
  };

  const faults: [string, () => Promise<string>, RegExp][] = [
    [
      'a corrupted model.onnx',
      () =>
        publishBroken(
          '20300101T000000Z-0000001',
          undefined,
          Buffer.concat([v2.files['model.onnx'].subarray(0, 500), Buffer.alloc(64)]),
        ),
      /sha256 of model.onnx/,
    ],
    [
      'a wrong sha256',
      () => publishBroken('20300101T000000Z-0000002', (m) => (m.onnx.sha256 = 'f'.repeat(64))),
      /sha256 of model.onnx/,
    ],
    [
      'a feature spec that does not fit the contract',
      () =>
        publishBroken('20300101T000000Z-0000003', (m) => {
          (m.feature_spec.features.find((f) => f.name === 'loan_purpose') as { vocabulary: string[] }).vocabulary = [
            'Auto',
            'Maison',
          ];
        }),
      /feature spec does not fit the data contract/,
    ],
    [
      'canaries that do not reproduce',
      () => publishBroken('20300101T000000Z-0000004', (m) => (m.canaries[7].probability_of_default = 0.5)),
      /canaries do not reproduce/,
    ],
  ];

  it.each(faults)('refuses %s, logs why, and counts it', async (_name, publish, reason) => {
    const failuresBefore = await metricValue(service.url, 'model_swaps_total', { outcome: 'failure' });
    const version = await publish();
    await promote(store, NAME, 'production', version);
    const reload = await admin(service.url, 'POST', '/admin/models/reload');
    expect(reload.status).toBe(422);
    expect(reload.json.reason).toMatch(reason);
    expect(reload.json.serving).toBe(v1.version);
    await stillServing();
    expect(await metricValue(service.url, 'model_swaps_total', { outcome: 'failure' })).toBe(failuresBefore + 1);
    const logged = service.logs.find(
      (l) => l.message === 'model rejected; keeping the current model' && l.version === version,
    );
    expect(String(logged?.reason)).toMatch(reason);
    expect(logged?.level).toBe('error');
  });

  it('keeps serving while the store is unreachable, then recovers', async () => {
    await s3.stop();
    try {
      const reload = await admin(service.url, 'POST', '/admin/models/reload');
      expect(reload.status).toBe(422);
      await stillServing();
      expect(service.logs.some((l) => l.message === 'model channel unreadable; keeping the current model')).toBe(true);
    } finally {
      await s3.restart();
    }
    await promote(store, NAME, 'production', v2.version);
    const reload = await admin(service.url, 'POST', '/admin/models/reload');
    expect(reload.json).toMatchObject({ status: 'swapped', version: v2.version, previous: v1.version });
    expect((await postJson(`${service.url}/predict`, VALID_APPLICATION)).json.model_version).toBe(v2.version);
    await promote(store, NAME, 'production', v1.version);
    await admin(service.url, 'POST', '/admin/models/reload');
  });

  it('checks the channel on SIGHUP', async () => {
    await promote(store, NAME, 'production', v2.version);
    service.child.kill('SIGHUP');
    await waitFor(
      async () => (await postJson(`${service.url}/predict`, VALID_APPLICATION)).json.model_version === v2.version,
      5_000,
    );
    expect(service.child.exitCode).toBeNull();
  });
});
