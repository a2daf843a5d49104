import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ModelRejectedError, verifyArtifact } from '../../service/src/model/verify-artifact.js';
import { loadVersion } from '../../service/src/model/load-version.js';
import { ModelManifest } from '../../service/src/model/manifest.js';
import { VersionExistsError } from '../../service/src/model/model-store.js';
import { describeVersions, promote, rollback } from '../../service/src/model/channels.js';
import { ModelStore } from '../../service/src/model/model-store.js';
import { FsModelStore } from '../../service/src/model/stores/fs-model-store.js';
import { S3ModelStore } from '../../service/src/model/stores/s3-model-store.js';
import { DEMO_STORE } from '../helpers/paths.js';
import { S3TestServer, startS3Server } from '../helpers/s3-server.js';

/*
 * One contract, two stores: every test below runs against a directory and against a real S3-compatible
 * server (s3rver on loopback) holding the same layout.
 */
const NAME = 'loan-default';
let dir: string;
let store: ModelStore;
let demoVersion: string;
let files: Record<string, Buffer>;
let s3: S3TestServer;
let bucketCount = 0;

const stores: [string, () => Promise<ModelStore>][] = [
  ['directory', async () => new FsModelStore(dir)],
  [
    's3',
    async () => {
      const bucket = `models-${++bucketCount}`;
      await s3.createBucket(bucket);
      return new S3ModelStore(`s3://${bucket}/store/prefix`, s3.client);
    },
  ],
];

afterAll(async () => {
  await s3.dispose();
});

beforeAll(async () => {
  s3 = await startS3Server();
  const demo = new FsModelStore(DEMO_STORE);
  demoVersion = (await demo.readChannel(NAME, 'production'))!.version;
  files = {
    'model.onnx': await demo.readVersionFile(NAME, demoVersion, 'model.onnx'),
    'manifest.json': await demo.readVersionFile(NAME, demoVersion, 'manifest.json'),
    'trees.json': await demo.readVersionFile(NAME, demoVersion, 'trees.json'),
  };
});

/** Publishes the demo artifact under another version id (the manifest follows it). */
async function publishAs(
  version: string,
  edit: (m: ModelManifest) => void = () => undefined,
  onnx = files['model.onnx'],
) {
  const manifest = JSON.parse(files['manifest.json'].toString()) as ModelManifest;
  manifest.version = version;
  edit(manifest);
  await store.publish(NAME, version, {
    ...files,
    'model.onnx': onnx,
    'manifest.json': Buffer.from(JSON.stringify(manifest)),
  });
}

describe.each(stores)('%s model store', (_kind, makeStore) => {
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'store-'));
    store = await makeStore();
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  describe('versions, channels and the registry', () => {
    it('publishes a version whole and refuses to publish it again', async () => {
      await store.publish(NAME, demoVersion, files);
      expect(await store.listVersions(NAME)).toEqual([demoVersion]);
      expect(await store.readVersionFile(NAME, demoVersion, 'model.onnx')).toEqual(files['model.onnx']);
      await expect(store.publish(NAME, demoVersion, files)).rejects.toBeInstanceOf(VersionExistsError);
      expect(await store.readVersionFile(NAME, demoVersion, 'manifest.json')).toEqual(files['manifest.json']);
    });

    it('refuses names and versions that are not safe path segments', async () => {
      await expect(store.publish('../evil', demoVersion, files)).rejects.toThrow(/invalid model name/);
      await expect(store.publish(NAME, '../../etc', files)).rejects.toThrow(/invalid version/);
    });

    it('promotes, keeps previous, and rolls back', async () => {
      const [v1, v2] = ['20260101T000000Z-aaaaaaa', '20260201T000000Z-bbbbbbb'];
      await publishAs(v1);
      await publishAs(v2);
      await expect(promote(store, NAME, 'production', '20990101T000000Z-ccccccc')).rejects.toThrow(/is not in/);
      await promote(store, NAME, 'production', v1);
      const moved = await promote(store, NAME, 'production', v2);
      expect(moved).toMatchObject({ version: v2, previous: v1 });
      const back = await rollback(store, NAME, 'production');
      expect(back).toMatchObject({ version: v1, previous: v2 });
      expect((await store.readChannel(NAME, 'production'))!.version).toBe(v1);
      expect((await describeVersions(store, NAME)).map((v) => v.version)).toEqual([v1, v2]);
    });

    it('cannot roll back a channel with no previous version', async () => {
      await publishAs('20260101T000000Z-aaaaaaa');
      await promote(store, NAME, 'production', '20260101T000000Z-aaaaaaa');
      await expect(rollback(store, NAME, 'production')).rejects.toThrow(/no previous version/);
    });
  });

  describe('verification before serving', () => {
    it('loads the demo version', async () => {
      await publishAs('20260101T000000Z-aaaaaaa');
      const model = await loadVersion(store, NAME, '20260101T000000Z-aaaaaaa');
      expect(model.threshold).toBeGreaterThan(0);
      await model.release();
    });

    const cases: [string, (m: ModelManifest) => void, ((b: Buffer) => Buffer) | undefined, RegExp][] = [
      ['a wrong sha256', (m) => (m.onnx.sha256 = '0'.repeat(64)), undefined, /sha256 of model.onnx/],
      [
        'a corrupted model.onnx',
        () => undefined,
        (b) => Buffer.concat([b.subarray(0, 100), Buffer.from('garbage')]),
        /sha256/,
      ],
      [
        'canaries that do not reproduce',
        (m) => (m.canaries[3].probability_of_default += 0.001),
        undefined,
        /canaries do not reproduce/,
      ],
      [
        'a feature spec outside the contract',
        (m) => ((m.feature_spec.features[5] as { vocabulary: string[] }).vocabulary = ['Femme']),
        undefined,
        /feature spec/,
      ],
      ['a wrong output name', (m) => (m.onnx.output_name = 'proba'), undefined, /outputs/],
      ['a threshold outside (0, 1)', (m) => (m.threshold.value = 1.5), undefined, /threshold/],
    ];
    it.each(cases)('rejects %s', async (_name, edit, corrupt, reason) => {
      const version = '20260101T000000Z-aaaaaaa';
      await publishAs(version, edit, corrupt ? corrupt(files['model.onnx']) : files['model.onnx']);
      const attempt = loadVersion(store, NAME, version);
      await expect(attempt).rejects.toBeInstanceOf(ModelRejectedError);
      await expect(attempt).rejects.toThrow(reason);
    });

    it('rejects bytes that hash right but are not a model ONNX Runtime can load', async () => {
      const manifest = JSON.parse(files['manifest.json'].toString()) as ModelManifest;
      const junk = Buffer.from('not an onnx file');
      const { createHash } = await import('node:crypto');
      manifest.onnx.sha256 = createHash('sha256').update(junk).digest('hex');
      await expect(verifyArtifact(manifest, junk)).rejects.toThrow(/not an ONNX model|ONNX Runtime cannot load/);
    });

    it('rejects a manifest that names another version', async () => {
      const version = '20260101T000000Z-aaaaaaa';
      const manifest = JSON.parse(files['manifest.json'].toString());
      manifest.version = '20260101T000000Z-bbbbbbb';
      await store.publish(NAME, version, { ...files, 'manifest.json': Buffer.from(JSON.stringify(manifest)) });
      await expect(loadVersion(store, NAME, version)).rejects.toThrow(/manifest names/);
    });

    it('changes a version fingerprint when its files change, not otherwise', async () => {
      const version = '20260101T000000Z-aaaaaaa';
      expect(await store.fingerprint(NAME, version)).toMatch(/missing/);
      await publishAs(version);
      const first = await store.fingerprint(NAME, version);
      expect(await store.fingerprint(NAME, version)).toBe(first);
      expect(first).not.toMatch(/missing/);
    });
  });
});

describe('directory store specifics', () => {
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'store-'));
    store = new FsModelStore(dir);
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('leaves no staging directory or temp channel file behind', async () => {
    await publishAs('20260101T000000Z-aaaaaaa');
    await promote(store, NAME, 'production', '20260101T000000Z-aaaaaaa');
    expect(await readdir(path.join(dir, NAME, 'versions'))).toEqual(['20260101T000000Z-aaaaaaa']);
    expect(await readdir(path.join(dir, NAME, 'channels'))).toEqual(['production.json']);
    const onDisk = JSON.parse(await readFile(path.join(dir, NAME, 'channels/production.json'), 'utf8'));
    expect(onDisk.version).toBe('20260101T000000Z-aaaaaaa');
  });

  it('lets exactly one of two concurrent publishers of a version win', async () => {
    const results = await Promise.allSettled([
      publishAs('20260101T000000Z-aaaaaaa'),
      publishAs('20260101T000000Z-aaaaaaa'),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(rejected.reason).toBeInstanceOf(VersionExistsError);
    expect(await store.listVersions(NAME)).toEqual(['20260101T000000Z-aaaaaaa']);
  });

  it('a manifest edited in place changes the fingerprint', async () => {
    const version = '20260101T000000Z-aaaaaaa';
    await publishAs(version);
    const before = await store.fingerprint(NAME, version);
    await new Promise((r) => setTimeout(r, 20));
    await writeFile(path.join(dir, NAME, 'versions', version, 'model.onnx'), Buffer.from('corrupted'));
    expect(await store.fingerprint(NAME, version)).not.toBe(before);
  });
});

describe('s3 store specifics', () => {
  it('lists only complete versions: a version whose manifest is not there yet does not exist', async () => {
    await s3.createBucket('partial');
    const s3Store = new S3ModelStore('s3://partial', s3.client);
    const { PutObjectCommand } = await import('@aws-sdk/client-s3');
    await s3.client.send(
      new PutObjectCommand({
        Bucket: 'partial',
        Key: `${NAME}/versions/20260101T000000Z-aaaaaaa/model.onnx`,
        Body: 'x',
      }),
    );
    expect(await s3Store.listVersions(NAME)).toEqual([]);
    await expect(promote(s3Store, NAME, 'production', '20260101T000000Z-aaaaaaa')).rejects.toThrow(
      /is not in s3:\/\/partial/,
    );
  });

  it('keys live under the prefix in the layout of docs/model-store.md', async () => {
    await s3.createBucket('layout');
    const s3Store = new S3ModelStore('s3://layout/team/models', s3.client);
    store = s3Store;
    await publishAs('20260101T000000Z-aaaaaaa');
    await promote(s3Store, NAME, 'production', '20260101T000000Z-aaaaaaa');
    const { ListObjectsV2Command } = await import('@aws-sdk/client-s3');
    const listed = await s3.client.send(new ListObjectsV2Command({ Bucket: 'layout' }));
    expect(listed.Contents!.map((o) => o.Key).sort()).toEqual([
      `team/models/${NAME}/channels/production.json`,
      `team/models/${NAME}/versions/20260101T000000Z-aaaaaaa/manifest.json`,
      `team/models/${NAME}/versions/20260101T000000Z-aaaaaaa/model.onnx`,
      `team/models/${NAME}/versions/20260101T000000Z-aaaaaaa/trees.json`,
    ]);
  });

  it('names an unreachable server in the error', async () => {
    const { createS3Client } = await import('../../service/src/storage/s3-location.js');
    const dead = new S3ModelStore(
      's3://nowhere',
      createS3Client({ ...process.env, AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:9' }),
    );
    await expect(dead.readChannel(NAME, 'production')).rejects.toThrow(/ECONNREFUSED|connect/);
  });
});
