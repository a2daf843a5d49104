import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promote, publishVerified, setChallenger } from '../../service/src/model/channels.js';
import { ModelManifest } from '../../service/src/model/manifest.js';
import { FsModelStore } from '../../service/src/model/stores/fs-model-store.js';
import { recordsInFile } from '../../service/src/capture/prediction-file.js';
import { verifyArtifactFiles } from '../../service/src/model/verify-artifact.js';
import { admin, ADMIN_TOKEN, metricValue } from '../helpers/admin.js';
import { filesInDirectory } from '../helpers/prediction-log.js';
import { randomApplications } from '../helpers/applications.js';
import { trainedFixtures, TrainedFixture } from '../helpers/model-fixtures.js';
import { postJson, RunningService, startService, waitFor } from '../helpers/service-process.js';

/*
 * The canary channel on the real service: its weight's share of applications, the same application always on
 * the same version, clearing it returns everything to production within one poll, and a challenger that
 * cannot be verified never touches production's answers.
 */
const NAME = 'loan-default';
let dir: string;
let store: FsModelStore;
let champion: TrainedFixture;
let challenger: TrainedFixture;
let service: RunningService;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'challengers-'));
  store = new FsModelStore(path.join(dir, 'store'));
  [champion, challenger] = await trainedFixtures([11, 12]);
  for (const fixture of [champion, challenger]) await publishVerified(store, fixture.files);
  await promote(store, NAME, 'production', champion.version);
  service = await startService({
    MODEL_STORE: store.location,
    MODEL_POLL_INTERVAL_S: '1',
    ADMIN_TOKEN,
    RATE_LIMIT_PER_MINUTE: '0',
  });
});

afterAll(async () => {
  await service?.stop();
  await rm(dir, { recursive: true, force: true });
});

async function versionsFor(applications: { application_id?: string }[]): Promise<string[]> {
  const out: string[] = [];
  for (const application of applications) {
    const answer = await postJson(`${service.url}/predict`, application);
    expect(answer.status).toBe(200);
    out.push(answer.json.model_version);
  }
  return out;
}

it('answers the canary weight share of applications (0.2 +- 0.03 over 5,000 ids), the same id always on the same version', async () => {
  await setChallenger(store, NAME, 'canary', challenger.version, 0.2);
  await waitFor(
    async () =>
      (await admin(service.url, 'GET', '/admin/models')).json.challengers.canary.serving === challenger.version,
    10_000,
  );
  const applications = randomApplications(5000, 51).map((a, i) => ({ ...a, application_id: `app-${i}` }));
  const versions = await versionsFor(applications);
  const share = versions.filter((v) => v === challenger.version).length / versions.length;
  expect(share).toBeGreaterThan(0.17);
  expect(share).toBeLessThan(0.23);
  expect(new Set(versions)).toEqual(new Set([champion.version, challenger.version]));
  // Again, in another order: every id lands where it did.
  const again = await versionsFor([...applications.slice(0, 500)].reverse());
  expect(again).toEqual(versions.slice(0, 500).reverse());
  // A batch stays on one version.
  const batch = await postJson(`${service.url}/predict/batch`, { applications: applications.slice(0, 50) });
  expect(new Set(batch.json.predictions.map((p: { model_version: string }) => p.model_version)).size).toBe(1);
  expect(
    await metricValue(service.url, 'challenger_active_info', { channel: 'canary', version: challenger.version }),
  ).toBe(0.2);
  // The canary's answers, scored by production too after they were given, compared on the same applications.
  const answeredByCanary =
    versions.filter((v) => v === challenger.version).length +
    (batch.json.predictions[0].model_version === challenger.version ? 50 : 0);
  const canaryAgain = versions.slice(0, 500).filter((v) => v === challenger.version).length;
  await waitFor(
    async () =>
      ((await (await fetch(`${service.url}/monitoring/challengers`)).json()) as { canary: { count: number } }).canary
        .count ===
      answeredByCanary + canaryAgain,
    5_000,
  );
  const live = (
    (await (await fetch(`${service.url}/monitoring/challengers`)).json()) as {
      canary: Record<string, number | string | null>;
    }
  ).canary;
  expect(live.version).toBe(challenger.version);
  expect(live.decision_agreement).toBeGreaterThan(0.5);
  expect(live.mean_abs_difference).toBeGreaterThan(0);
  expect(live.psi).not.toBeNull();
});

it('returns all traffic to production within one poll once the canary is cleared', async () => {
  await setChallenger(store, NAME, 'canary', null);
  await waitFor(
    async () => (await admin(service.url, 'GET', '/admin/models')).json.challengers.canary.serving === null,
    3_000,
  );
  const versions = await versionsFor(randomApplications(300, 52).map((a, i) => ({ ...a, application_id: `app-${i}` })));
  expect(new Set(versions)).toEqual(new Set([champion.version]));
});

it('keeps answering every request from production when a challenger cannot be verified, and says so in metrics', async () => {
  // A damaged copy of the challenger under a new version id: its canaries no longer reproduce.
  const manifest = JSON.parse(challenger.files['manifest.json'].toString()) as ModelManifest;
  manifest.version = '20300101T000000Z-badbadb';
  manifest.canaries[3].probability_of_default = 0.5;
  await store.publish(NAME, manifest.version, {
    ...challenger.files,
    'manifest.json': Buffer.from(JSON.stringify(manifest)),
  });
  await setChallenger(store, NAME, 'canary', manifest.version, 0.5);
  await setChallenger(store, NAME, 'shadow', manifest.version);
  await waitFor(
    async () =>
      (await metricValue(service.url, 'challenger_loads_total', { channel: 'canary', outcome: 'failure' })) >= 1,
    10_000,
  );
  const versions = await versionsFor(randomApplications(400, 53).map((a, i) => ({ ...a, application_id: `bad-${i}` })));
  expect(new Set(versions)).toEqual(new Set([champion.version]));
  expect(
    await metricValue(service.url, 'challenger_loads_total', { channel: 'shadow', outcome: 'failure' }),
  ).toBeGreaterThanOrEqual(1);
  const listed = (await admin(service.url, 'GET', '/admin/models')).json.challengers;
  expect(listed).toMatchObject({
    canary: { channel_version: manifest.version, serving: null },
    shadow: { channel_version: manifest.version, serving: null },
  });
});

it('promoting a version clears a challenger channel that points to it', async () => {
  await setChallenger(store, NAME, 'shadow', challenger.version);
  await promote(store, NAME, 'production', challenger.version);
  expect((await store.readChannel(NAME, 'shadow'))?.version).toBeNull();
});

describe('shadow scoring into the prediction log', () => {
  let shadowService: RunningService;
  let log: string;

  beforeAll(async () => {
    log = path.join(dir, 'predictions');
    await setChallenger(store, NAME, 'canary', null);
    await promote(store, NAME, 'production', champion.version);
    await setChallenger(store, NAME, 'shadow', challenger.version);
    shadowService = await startService({
      MODEL_STORE: store.location,
      PREDICTION_LOG: log,
      CAPTURE_FLUSH_MS: '100',
      RATE_LIMIT_PER_MINUTE: '0',
      ADMIN_TOKEN,
    });
    await waitFor(
      async () =>
        (await admin(shadowService.url, 'GET', '/admin/models')).json.challengers.shadow.serving === challenger.version,
      10_000,
    );
  });

  it('under load: zero non-2xx, and every record carries both scores, each what its own version gives', async () => {
    const applications = randomApplications(3000, 54).map((a, i) => ({ ...a, application_id: `load-${i}` }));
    let next = 0;
    const failures: number[] = [];
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < applications.length) {
          const mine = applications.slice(next, next + 3);
          next += 3;
          const answer =
            mine.length === 1
              ? await postJson(`${shadowService.url}/predict`, mine[0])
              : await postJson(`${shadowService.url}/predict/batch`, { applications: mine });
          if (answer.status !== 200) failures.push(answer.status);
        }
      }),
    );
    expect(failures).toEqual([]);
    // The live comparison saw the same pairs.
    await waitFor(
      async () =>
        ((await (await fetch(`${shadowService.url}/monitoring/challengers`)).json()) as { shadow: { count: number } })
          .shadow.count === applications.length,
      5_000,
    );
    const live = (await (await fetch(`${shadowService.url}/monitoring/challengers`)).json()) as {
      shadow: Record<string, number | string | null>;
    };
    expect(live.shadow.version).toBe(challenger.version);
    expect(live.shadow.decision_agreement).toBeGreaterThan(0.5);
    expect(live.shadow.psi).not.toBeNull();
    expect(await shadowService.stop()).toBe('SIGTERM');
    const records = (await filesInDirectory(log)).flatMap(recordsInFile);
    expect(records).toHaveLength(applications.length);
    // Each version's own answers for the same applications, from models verified as the service verifies them.
    const [championModel, challengerModel] = await Promise.all([
      verifyArtifactFiles(champion.files),
      verifyArtifactFiles(challenger.files),
    ]);
    const byId = new Map(records.map((r) => [r.application_id, r]));
    const ordered = applications.map((a) => byId.get(a.application_id)!);
    const [championScores, challengerScores] = await Promise.all([
      championModel.score(applications),
      challengerModel.score(applications),
    ]);
    ordered.forEach((record, i) => {
      expect(record.model_version).toBe(champion.version);
      expect(record.probability_of_default).toBe(championScores[i]);
      expect(record.shadow).toEqual({
        model_version: challenger.version,
        probability_of_default: challengerScores[i],
        decision: challengerScores[i] >= challengerModel.threshold ? 'decline' : 'approve',
      });
    });
    const agreement = ordered.filter((r) => r.decision === r.shadow!.decision).length / ordered.length;
    expect(live.shadow.decision_agreement).toBeCloseTo(agreement, 12);
    const difference =
      ordered.reduce((sum, r) => sum + Math.abs(r.probability_of_default - r.shadow!.probability_of_default), 0) /
      ordered.length;
    expect(live.shadow.mean_abs_difference).toBeCloseTo(difference, 9);
    await Promise.all([championModel.release(), challengerModel.release()]);
  });
});

describe('shadow scoring with the prediction log off', () => {
  it('scores every application with the shadow all the same: 200 requests, 200 compared', async () => {
    await setChallenger(store, NAME, 'canary', null);
    await promote(store, NAME, 'production', champion.version);
    await setChallenger(store, NAME, 'shadow', challenger.version);
    // `service` runs with PREDICTION_LOG=off (the test default).
    await waitFor(
      async () =>
        (await admin(service.url, 'GET', '/admin/models')).json.challengers.shadow.serving === challenger.version,
      10_000,
    );
    const report = async () =>
      (
        (await (await fetch(`${service.url}/monitoring/challengers`)).json()) as {
          shadow: { version: string | null; count: number };
        }
      ).shadow;
    const before = (await report()).count;
    for (const application of randomApplications(200, 77))
      expect((await postJson(`${service.url}/predict`, application)).status).toBe(200);
    await waitFor(async () => (await report()).count - before === 200, 5_000);
    expect(await report()).toMatchObject({ version: challenger.version, count: before + 200 });
  });
});
