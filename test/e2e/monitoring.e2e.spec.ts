import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { ListObjectsV2Command, GetObjectCommand } from '@aws-sdk/client-s3';
import { runTraining } from '../../scripts/lib/python.js';
import { parseCsv, toApplication } from '../../jobs/retraining/data-rows.js';
import { VALID_APPLICATION } from '../helpers/applications.js';
import { metricValue } from '../helpers/admin.js';
import { filesInDirectory, idsIn } from '../helpers/prediction-log.js';
import { startLoad } from '../helpers/load.js';
import { startS3Server } from '../helpers/s3-server.js';
import { postJson, startService } from '../helpers/service-process.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'monitoring-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function loadThenStop(env: Record<string, string>) {
  const service = await startService({ CAPTURE_BATCH_SIZE: '250', CAPTURE_FLUSH_MS: '60000', ...env });
  const load = startLoad(
    `${service.url}/predict`,
    () => ({ ...VALID_APPLICATION, application_id: `app-${Math.random()}` }),
    { concurrency: 16 },
  );
  await new Promise((r) => setTimeout(r, 2_000));
  // SIGTERM while requests are still in flight: every answered prediction must reach the log.
  const stopped = service.stop();
  const samples = await load.stop();
  expect(await stopped).toBe('SIGTERM');
  const answered = samples.filter((s) => s.status === 200).map((s) => s.body.prediction_id as string);
  expect(answered.length).toBeGreaterThan(500);
  // Requests the closing server refused were never accepted; none may be a 5xx other than its 503.
  expect(samples.filter((s) => s.status !== 200 && s.status !== 503 && s.status !== 0)).toEqual([]);
  return { answered, logs: service.logs };
}

describe('prediction capture', () => {
  it('writes every answered prediction to a directory, partitioned by date, before a graceful stop ends', async () => {
    const log = path.join(dir, 'predictions');
    const { answered, logs } = await loadThenStop({ PREDICTION_LOG: log });
    const partitions = await readdir(log);
    expect(partitions).toEqual([`dt=${new Date().toISOString().slice(0, 10)}`]);
    const names = await readdir(path.join(log, partitions[0]));
    expect(names.every((n) => /^part-\d{8}T\d{9}Z-[0-9a-f]{8}-\d{6}\.jsonl\.gz$/.test(n))).toBe(true);
    const files = await Promise.all(names.map((n) => readFile(path.join(log, partitions[0], n))));
    const written = idsIn(files);
    expect(answered.filter((id) => !written.has(id))).toEqual([]);
    const record = JSON.parse(gunzipSync(files[0]).toString('utf8').split('\n')[0]);
    expect(Object.keys(record).sort()).toEqual(
      [
        'application_id',
        'decision',
        'inputs',
        'model_version',
        'policy_version',
        'prediction_id',
        'probability_of_default',
        'rating_grade',
        'request_id',
        'rules_fired',
        'threshold',
        'timestamp',
      ].sort(),
    );
    expect(Object.keys(record.inputs)).toHaveLength(11);
    expect(record.rules_fired).toEqual([]);
    expect(logs.some((l) => l.message === 'prediction log flushed')).toBe(true);
  });

  it('does the same on S3', async () => {
    const s3 = await startS3Server();
    try {
      await s3.createBucket('data');
      const { answered } = await loadThenStop({ ...s3.env, PREDICTION_LOG: 's3://data/predictions' });
      const listed = await s3.client.send(new ListObjectsV2Command({ Bucket: 'data', Prefix: 'predictions/dt=' }));
      const keys = (listed.Contents ?? []).map((o) => o.Key!);
      expect(keys.length).toBeGreaterThan(0);
      const files = await Promise.all(
        keys.map(async (Key) =>
          Buffer.from(
            await (await s3.client.send(new GetObjectCommand({ Bucket: 'data', Key }))).Body!.transformToByteArray(),
          ),
        ),
      );
      const written = idsIn(files);
      expect(answered.filter((id) => !written.has(id))).toEqual([]);
    } finally {
      await s3.dispose();
    }
  });

  it('writes, under load, exactly the answers it gave: every record once, byte for byte', async () => {
    const log = path.join(dir, 'byte-for-byte');
    const file = path.join(dir, 'varied.csv');
    await runTraining(['generate', '--rows', '2000', '--seed', '5', '--out', file]);
    const rows = parseCsv(await readFile(file)).map(toApplication);
    const service = await startService({
      PREDICTION_LOG: log,
      CAPTURE_BATCH_SIZE: '300',
      CAPTURE_FLUSH_MS: '200',
      RATE_LIMIT_PER_MINUTE: '0',
    });
    let n = 0;
    const load = startLoad(
      `${service.url}/predict`,
      () => {
        const application = { ...rows[n % rows.length], ...(n % 3 ? { application_id: `app-${n}-"quoted"` } : {}) };
        n++;
        return application;
      },
      { concurrency: 16, maxRequests: 6_000 },
    );
    const batch = await postJson(`${service.url}/predict/batch`, { applications: rows.slice(0, 1000) });
    expect(batch.status).toBe(200);
    const samples = await new Promise<Awaited<ReturnType<typeof load.stop>>>((resolve) =>
      setTimeout(() => resolve(load.stop()), 2_000),
    );
    expect(await service.stop()).toBe('SIGTERM');
    // The answers as the client received them, and the inputs each was asked about.
    const answers = [...samples.filter((s) => s.status === 200).map((s) => s.body), ...batch.json.predictions];
    expect(answers.length).toBeGreaterThan(1_000);
    const lines = (await filesInDirectory(log)).flatMap((f) =>
      gunzipSync(f).toString('utf8').split('\n').filter(Boolean),
    );
    const byId = new Map(lines.map((line) => [JSON.parse(line).prediction_id as string, line]));
    expect(byId.size).toBe(lines.length); // no record twice
    expect(lines.length).toBe(answers.length); // and none that was not answered
    const fields = ['prediction_id', 'probability_of_default', 'decision', 'threshold', 'model_version'] as const;
    for (const answer of answers) {
      const line = byId.get(answer.prediction_id)!;
      expect(line).toBeDefined();
      const record = JSON.parse(line);
      // Byte for byte: the record's fields serialise exactly as the answer's did, and the line is canonical JSON.
      expect(JSON.stringify(fields.map((f) => record[f]))).toBe(JSON.stringify(fields.map((f) => answer[f])));
      expect(record.application_id).toBe(answer.application_id ?? null);
      expect(JSON.stringify(record)).toBe(line);
    }
    // The inputs recorded for answered applications are the ones sent (checked on the batch, whose order is known).
    batch.json.predictions.forEach((answer: { prediction_id: string }, i: number) => {
      expect(JSON.parse(byId.get(answer.prediction_id)!).inputs).toEqual(rows[i]);
    });
  });

  it('refuses to start when the prediction log directory cannot be written', async () => {
    await expect(startService({ PREDICTION_LOG: '/dev/null/predictions' })).rejects.toThrow(
      /PREDICTION_LOG \/dev\/null\/predictions is not writable/,
    );
  });

  /** A service whose log directory turns into a file once it has started: every write from then on fails. */
  async function withVanishingLog(name: string, env: Record<string, string>) {
    const log = path.join(dir, name);
    const service = await startService({
      PREDICTION_LOG: log,
      CAPTURE_QUEUE_LIMIT: '10',
      CAPTURE_BATCH_SIZE: '5',
      CAPTURE_FLUSH_MS: '50',
      ...env,
    });
    await rm(log, { recursive: true, force: true });
    await writeFile(log, 'not a directory');
    return service;
  }

  it('never blocks requests when the log cannot be written; what the queue cannot hold goes to the spill directory', async () => {
    const spill = path.join(dir, 'spill-vanishing');
    const service = await withVanishingLog('vanishing', { CAPTURE_SPILL_DIR: spill });
    try {
      for (let i = 0; i < 40; i++)
        expect((await postJson(`${service.url}/predict`, VALID_APPLICATION)).status).toBe(200);
      // The queue holds at most 10 records (counting a batch being written): the rest is on disk, none dropped.
      expect(await metricValue(service.url, 'prediction_capture_dropped_total')).toBe(0);
      expect(await metricValue(service.url, 'prediction_capture_queue_depth')).toBeLessThanOrEqual(10);
      expect(await metricValue(service.url, 'prediction_capture_spilled_total')).toBeGreaterThanOrEqual(30);
      expect(await metricValue(service.url, 'prediction_capture_write_failures_total')).toBeGreaterThan(0);
    } finally {
      await service.stop();
    }
    expect(
      service.logs.some((l) => l.message === 'prediction log unwritable at shutdown; records spilled to disk'),
    ).toBe(true);
    // At shutdown the rest joins them: every answer is on disk.
    expect(idsIn(await filesInDirectory(spill)).size).toBe(40);
  });

  it('drops and counts what a full queue cannot hold only when the spill directory is unusable too', async () => {
    const blocked = path.join(dir, 'spill-blocked');
    await writeFile(blocked, 'a file where the spill directory should be');
    const service = await withVanishingLog('vanishing-2', { CAPTURE_SPILL_DIR: blocked });
    try {
      for (let i = 0; i < 40; i++)
        expect((await postJson(`${service.url}/predict`, VALID_APPLICATION)).status).toBe(200);
      expect(await metricValue(service.url, 'prediction_capture_dropped_total')).toBe(30);
      expect(await metricValue(service.url, 'prediction_capture_queue_depth')).toBeLessThanOrEqual(10);
    } finally {
      await service.stop();
    }
    expect(service.logs.some((l) => l.message === 'prediction records dropped: capture queue full')).toBe(true);
  });
});

describe('drift and metrics', () => {
  it('flags a shifted feature and not the unshifted ones', async () => {
    const file = path.join(dir, 'live.csv');
    await runTraining(['generate', '--rows', '3000', '--seed', '77', '--out', file]);
    const rows = parseCsv(await readFile(file)).map(toApplication);
    // Applicants now borrow against much more debt; everything else is as in training.
    const shifted = rows.map((r) => ({ ...r, debt_to_income_ratio: Math.min(0.667, r.debt_to_income_ratio * 2.5) }));
    const service = await startService({ DRIFT_WINDOW: '3000' });
    try {
      const before: any = await (await fetch(`${service.url}/monitoring/drift`)).json();
      expect(before.window_size).toBe(0);
      expect(before.features.gender.status).toBe('insufficient_data');
      for (let i = 0; i < shifted.length; i += 1000) {
        expect(
          (await postJson(`${service.url}/predict/batch`, { applications: shifted.slice(i, i + 1000) })).status,
        ).toBe(200);
      }
      const report: any = await (await fetch(`${service.url}/monitoring/drift`)).json();
      expect(report.window_size).toBe(3000);
      expect(Object.keys(report.features)).toHaveLength(11);
      expect(report.features.debt_to_income_ratio.status).toBe('drift');
      for (const [name, value] of Object.entries<any>(report.features)) {
        if (name !== 'debt_to_income_ratio') expect({ name, status: value.status }).toEqual({ name, status: 'ok' });
      }
      expect(report.score.psi).toBeGreaterThan(0);
      expect(await metricValue(service.url, 'drift_psi', { feature: 'debt_to_income_ratio' })).toBeCloseTo(
        report.features.debt_to_income_ratio.psi,
        4,
      );
    } finally {
      await service.stop();
    }
  });

  it('exposes the metrics operators need at /metrics', async () => {
    const service = await startService({ PREDICTION_LOG: path.join(dir, 'metrics-log') });
    try {
      await postJson(`${service.url}/predict`, VALID_APPLICATION);
      await postJson(`${service.url}/predict`, {
        ...VALID_APPLICATION,
        employment_status: 'Unemployed',
        grade_subgrade: 'F5',
      });
      await postJson(`${service.url}/predict`, { nope: 1 });
      const response = await fetch(`${service.url}/metrics`);
      expect(response.headers.get('content-type')).toContain('text/plain');
      const text = await response.text();
      for (const series of [
        'http_requests_total{method="POST",route="/predict",status="200"} 2',
        'http_requests_total{method="POST",route="/predict",status="400"} 1',
        'http_request_duration_seconds_bucket{le="0.005",method="POST",route="/predict",status="200"}',
        'predictions_total{decision="approve"} 1',
        'predictions_total{decision="decline"} 1',
        'prediction_probability_of_default_count 2',
        'model_active_info{version="',
        'model_swaps_total{outcome="success"} 1',
        'prediction_capture_queue_depth',
        'prediction_capture_dropped_total 0',
        'drift_psi{feature="credit_score"}',
        'drift_window_size 2',
        'process_resident_memory_bytes',
        'nodejs_eventloop_lag_seconds',
      ]) {
        expect(text).toContain(series);
      }
    } finally {
      await service.stop();
    }
  });

  it('logs route, status, latency and version per request, and never a key or token', async () => {
    const secret = 'sk-live-do-not-log-0123456789';
    const service = await startService({});
    try {
      await postJson(`${service.url}/predict`, VALID_APPLICATION, {
        'x-api-key': secret,
        authorization: `Bearer ${secret}`,
      });
      await fetch(`${service.url}/health/live?token=${secret}`);
      await new Promise((r) => setTimeout(r, 100));
    } finally {
      await service.stop();
    }
    const line = service.logs.find((l) => l.message === 'request' && l.route === '/predict');
    expect(line).toMatchObject({ status: 200, method: 'POST' });
    expect(line).toHaveProperty('latency_ms');
    expect(line).toHaveProperty('model_version');
    expect(line).toHaveProperty('request_id');
    expect(JSON.stringify(service.logs)).not.toContain(secret);
  });
});
