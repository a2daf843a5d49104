import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promote, publishVerified } from '../../service/src/model/channels.js';
import { FsModelStore } from '../../service/src/model/stores/fs-model-store.js';
import { DEFAULT_POLICY } from '../../service/src/policy/default-policy.js';
import { PolicyStore } from '../../service/src/policy/policy-store.js';
import { FsBlobStore } from '../../service/src/storage/fs-blob-store.js';
import { admin, ADMIN_TOKEN } from '../helpers/admin.js';
import { VALID_APPLICATION } from '../helpers/applications.js';
import { trainedFixtures, TrainedFixture } from '../helpers/model-fixtures.js';
import { postJson, RunningService, startService } from '../helpers/service-process.js';

const NAME = 'loan-default';
let dir: string;
let store: FsModelStore;
let v1: TrainedFixture;
let v2: TrainedFixture;
let service: RunningService;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'admin-store-'));
  store = new FsModelStore(dir);
  [v1, v2] = await trainedFixtures([11, 12]);
  await publishVerified(store, v1.files);
  await publishVerified(store, v2.files);
  await promote(store, NAME, 'production', v1.version);
  service = await startService({ MODEL_STORE: dir, ADMIN_TOKEN });
});

afterAll(async () => {
  await service.stop();
  await rm(dir, { recursive: true, force: true });
});

const served = async () => (await postJson(`${service.url}/predict`, VALID_APPLICATION)).json.model_version;

describe('admin API', () => {
  it('answers 401 without a token and 403 with a wrong one', async () => {
    const none = await admin(service.url, 'GET', '/admin/models', '');
    expect(none.status).toBe(401);
    const wrong = await admin(service.url, 'GET', '/admin/models', 'not-the-token-at-all');
    expect(wrong.status).toBe(403);
    const almost = await admin(service.url, 'POST', '/admin/models/reload', ADMIN_TOKEN.slice(0, -1));
    expect(almost.status).toBe(403);
    const raw = await fetch(`${service.url}/admin/models`, { headers: { authorization: `Basic ${ADMIN_TOKEN}` } });
    expect(raw.status).toBe(401);
    expect(raw.headers.get('www-authenticate')).toBe('Bearer');
  });

  it('lists versions with metrics, the active one and the production one', async () => {
    const { status, json } = await admin(service.url, 'GET', '/admin/models');
    expect(status).toBe(200);
    expect(json).toMatchObject({ active: v1.version, pinned: null, production: { version: v1.version } });
    expect(json.versions.map((v: { version: string }) => v.version)).toEqual([v1.version, v2.version].sort());
    const first = json.versions.find((v: { version: string }) => v.version === v1.version);
    expect(first).toMatchObject({ active: true, production: true });
    expect(first.metrics.roc_auc).toBeGreaterThan(0.7);
  });

  it('pins a version, ignores the channel while pinned, and follows it again when unpinned', async () => {
    const pinned = await admin(service.url, 'POST', `/admin/models/${v2.version}/activate`);
    expect(pinned.json).toMatchObject({ status: 'swapped', version: v2.version });
    expect(await served()).toBe(v2.version);
    await promote(store, NAME, 'production', v1.version);
    expect((await admin(service.url, 'POST', '/admin/models/reload')).json.version).toBe(v2.version);
    expect(await served()).toBe(v2.version);
    const active = await (await fetch(`${service.url}/models/active`)).json();
    expect(active).toMatchObject({ version: v2.version, pinned: true });
    const unpinned = await admin(service.url, 'DELETE', '/admin/models/pin');
    expect(unpinned.json).toMatchObject({ status: 'swapped', version: v1.version });
    expect(await served()).toBe(v1.version);
  });

  it('refuses to activate a version that is not in the store', async () => {
    expect((await admin(service.url, 'POST', '/admin/models/20990101T000000Z-abcdef0/activate')).status).toBe(404);
    expect((await admin(service.url, 'POST', '/admin/models/..%2F..%2Fetc/activate')).status).toBe(404);
  });

  it('shows the active version publicly at /models/active', async () => {
    const response = await fetch(`${service.url}/models/active`);
    expect(response.status).toBe(200);
    const body: any = await response.json();
    expect(body).toMatchObject({ version: v1.version, created_at: v1.manifest.created_at, pinned: false });
    expect(body.metrics.roc_auc).toBe(v1.manifest.metrics.roc_auc);
  });

  it('shows the credit policy deciding now and reloads its channel on demand, refusing a broken one by name', async () => {
    const builtIn = await admin(service.url, 'GET', '/admin/policy');
    expect(builtIn.json).toMatchObject({ policy_version: 'default', knock_outs: [] });
    const policies = new PolicyStore(new FsBlobStore(dir), NAME);
    const band = {
      ...DEFAULT_POLICY,
      description: 'A refer band below the threshold',
      cutoffs: { default: { approve_below: 0.05, decline_from: 'model_threshold' as const } },
      examples: [{ ...DEFAULT_POLICY.examples[0], probability_of_default: 0.1, decision: 'refer' as const }],
    };
    const version = await policies.publish(band);
    await policies.promote('production', version);
    // The poll is off here (MODEL_POLL_INTERVAL_S=0 in the tests' services): the reload alone moves it.
    expect((await admin(service.url, 'POST', '/admin/policy/reload')).json).toEqual({
      status: 'swapped',
      version,
      previous: 'default',
    });
    expect((await admin(service.url, 'GET', '/admin/policy')).json).toMatchObject({ policy_version: version });
    expect((await postJson(`${service.url}/predict`, VALID_APPLICATION)).json.policy_version).toBe(version);
    // A pointer to a version that is not there: 422 with the reason, and the policy serving keeps serving.
    await writeFile(
      path.join(dir, NAME, 'policy-channels', 'production.json'),
      JSON.stringify({ version: '20991231T000000Z-0000000', updated_at: new Date().toISOString(), previous: version }),
    );
    const refused = await admin(service.url, 'POST', '/admin/policy/reload');
    expect(refused.status).toBe(422);
    expect(refused.json.message.join(' ')).toContain('20991231T000000Z-0000000');
    // Asked again (or after a timed poll met it first): still a 422 with the reason, not a 200 'unchanged'.
    const again = await admin(service.url, 'POST', '/admin/policy/reload');
    expect(again.status).toBe(422);
    expect(again.json.message.join(' ')).toContain('20991231T000000Z-0000000');
    expect((await admin(service.url, 'GET', '/admin/policy')).json.policy_version).toBe(version);
    // The store is shared with the next test's service, which would not become ready on a broken channel.
    await policies.promote('production', version);
  });

  it('has no admin routes at all when ADMIN_TOKEN is unset', async () => {
    const open = await startService({ MODEL_STORE: dir });
    try {
      expect((await admin(open.url, 'GET', '/admin/models')).status).toBe(404);
      expect((await admin(open.url, 'POST', '/admin/models/reload')).status).toBe(404);
      const doc: any = await (await fetch(`${open.url}/docs-json`)).json();
      expect(Object.keys(doc.paths).filter((p) => p.startsWith('/admin'))).toEqual([]);
    } finally {
      await open.stop();
    }
  });
});

describe('memory across swaps', () => {
  const rssMb = async (pid: number) => {
    const { readFile } = await import('node:fs/promises');
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) / 1024;
  };

  it('100 swaps in a row leave RSS within 50 MB of where it was after the first', async () => {
    const versions = [v1.version, v2.version];
    const first = await admin(service.url, 'POST', `/admin/models/${v2.version}/activate`);
    expect(first.json.status).toBe('swapped');
    await postJson(`${service.url}/predict`, VALID_APPLICATION);
    const afterFirst = await rssMb(service.child.pid!);
    for (let i = 0; i < 100; i++) {
      const target = versions[i % 2];
      const swap = await admin(service.url, 'POST', `/admin/models/${target}/activate`);
      expect(swap.json).toMatchObject({ status: 'swapped', version: target });
      await postJson(`${service.url}/predict`, VALID_APPLICATION);
    }
    await new Promise((r) => setTimeout(r, 500));
    const afterHundred = await rssMb(service.child.pid!);
    console.log(`RSS after the first swap ${afterFirst.toFixed(1)} MB, after 100 more ${afterHundred.toFixed(1)} MB`);
    expect(afterHundred - afterFirst).toBeLessThan(50);
  });
});
