import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { VALID_APPLICATION } from '../helpers/applications.js';
import { admin, ADMIN_TOKEN, metricValue } from '../helpers/admin.js';
import { startFaultyEndpoint } from '../helpers/faulty-endpoint.js';
import { startLoad } from '../helpers/load.js';
import { DEMO_STORE } from '../helpers/paths.js';
import { filesInBucket, filesInDirectory, idsIn } from '../helpers/prediction-log.js';
import { startS3Server } from '../helpers/s3-server.js';
import { postJson, RunningService, startService, waitFor } from '../helpers/service-process.js';

/*
 * Faults bounded in time and abuse refused before work, against the real service: a frozen S3 endpoint (a
 * loopback socket that reads and never answers), a prediction log that hangs, fails and recovers under load,
 * oversized bodies, credential guessing, admin races and slow clients.
 */

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'faults-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Sends SIGTERM and resolves how long the process took to exit. */
async function timedStop(service: RunningService): Promise<number> {
  const started = performance.now();
  await service.stop();
  return performance.now() - started;
}

describe('a frozen model store', () => {
  it('does not hold up listening, readiness answers, admin reloads or shutdown', async () => {
    const frozen = await startFaultyEndpoint(null, 'hang');
    const started = performance.now();
    const service = await startService(
      {
        AWS_ACCESS_KEY_ID: 'x',
        AWS_SECRET_ACCESS_KEY: 'x',
        AWS_REGION: 'us-east-1',
        AWS_EC2_METADATA_DISABLED: 'true',
        AWS_ENDPOINT_URL_S3: frozen.url,
        MODEL_STORE: 's3://models',
        STORE_TIMEOUT_MS: '2000',
        ADMIN_TOKEN,
        SHUTDOWN_TIMEOUT_MS: '3000',
      },
      false,
    );
    try {
      const listenMs = performance.now() - started;
      // Listening must not wait for the store: the service says so before its first read has even timed out
      // (an order of events, not a wall-clock bound, so a loaded CI machine cannot fail it).
      const unreadable = (l: Record<string, unknown>) =>
        l.message === 'model channel unreadable; keeping the current model';
      expect(service.logs.some(unreadable)).toBe(false);
      expect((await fetch(`${service.url}/health/ready`)).status).toBe(503);
      expect((await fetch(`${service.url}/health/live`)).status).toBe(200);
      // The first load gives up at its deadline, says so, and counts it.
      await waitFor(async () => service.logs.some(unreadable), 5_000);
      const order = service.logs.map((l) => l.message);
      expect(order.indexOf('listening')).toBeLessThan(
        order.findIndex((m) => m === 'model channel unreadable; keeping the current model'),
      );
      expect(
        await metricValue(service.url, 'model_store_read_failures_total', { reason: 'timeout' }),
      ).toBeGreaterThanOrEqual(1);
      const reloadStarted = performance.now();
      const reload = await admin(service.url, 'POST', '/admin/models/reload');
      const reloadMs = performance.now() - reloadStarted;
      expect(reload.status).toBe(422);
      expect(reload.json.error).toBe('Unprocessable Entity');
      expect(reload.json.message.join(' ')).toMatch(/timed out after 2000 ms/);
      expect(reloadMs).toBeLessThan(2_000 + 500);
      expect(await metricValue(service.url, 'model_channel_seconds_since_last_read')).toBeGreaterThan(0);
      const stopMs = await timedStop(service);
      expect(stopMs).toBeLessThan(3_000 + 500);
      console.log(
        `frozen store: listening after ${Math.round(listenMs)} ms, reload answered in ${Math.round(reloadMs)} ms, stopped in ${Math.round(stopMs)} ms`,
      );
    } finally {
      await service.stop();
      await frozen.close();
    }
  });
});

describe('shutdown with a prediction log that never answers', () => {
  async function answerThenStop(spillDir: string) {
    const frozen = await startFaultyEndpoint(null, 'hang');
    const service = await startService({
      AWS_ACCESS_KEY_ID: 'x',
      AWS_SECRET_ACCESS_KEY: 'x',
      AWS_REGION: 'us-east-1',
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_ENDPOINT_URL_S3: frozen.url,
      PREDICTION_LOG: 's3://predictions',
      STORE_TIMEOUT_MS: '60000',
      SHUTDOWN_TIMEOUT_MS: '3000',
      CAPTURE_SPILL_DIR: spillDir,
      CAPTURE_BATCH_SIZE: '100',
      CAPTURE_FLUSH_MS: '200',
    });
    const answered: string[] = [];
    try {
      for (let i = 0; i < 5; i++) {
        const batch = await postJson(`${service.url}/predict/batch`, {
          applications: Array.from({ length: 200 }, () => VALID_APPLICATION),
        });
        expect(batch.status).toBe(200);
        answered.push(...batch.json.predictions.map((p: { prediction_id: string }) => p.prediction_id));
      }
      await sleep(300); // a write is now hanging on the frozen endpoint
      const stopMs = await timedStop(service);
      return { answered, stopMs, logs: service.logs };
    } finally {
      await service.stop();
      await frozen.close();
    }
  }

  it('exits within SHUTDOWN_TIMEOUT_MS with every answered record spilled to disk, and says how many', async () => {
    const spill = path.join(dir, 'spill');
    const { answered, stopMs, logs } = await answerThenStop(spill);
    expect(stopMs).toBeLessThan(3_000 + 1_000);
    const spilled = idsIn(await filesInDirectory(spill));
    expect(answered.filter((id) => !spilled.has(id))).toEqual([]);
    const counted = logs
      .filter((l) => String(l.message).includes('records spilled to disk'))
      .reduce((n, l) => n + Number(l.records), 0);
    expect(counted).toBe(answered.length);
    console.log(
      `shutdown with a frozen prediction log: exited in ${Math.round(stopMs)} ms, ${spilled.size} of ${answered.length} records spilled`,
    );
  });

  it('counts and logs the records it could not keep when the spill directory fails too', async () => {
    const blocker = path.join(dir, 'not-a-directory');
    await writeFile(blocker, 'a file where the spill directory should be');
    const { answered, logs } = await answerThenStop(path.join(blocker, 'spill'));
    const lost = logs
      .filter((l) => String(l.message).includes('spill failed, records lost'))
      .reduce((n, l) => n + Number(l.records), 0);
    expect(lost).toBe(answered.length);
  });
});

describe('a prediction log that hangs, fails, then recovers, under load', () => {
  it('answers every request, and every answer reaches the log once it recovers (the overflow through the spill directory), none dropped; errors at a limited rate', async () => {
    const s3 = await startS3Server();
    await s3.createBucket('predictions');
    const proxy = await startFaultyEndpoint({ port: s3.port });
    const spill = path.join(dir, 'spill-recovery');
    const service = await startService({
      ...s3.env,
      AWS_ENDPOINT_URL_S3: proxy.url,
      PREDICTION_LOG: 's3://predictions',
      STORE_TIMEOUT_MS: '500',
      CAPTURE_SPILL_DIR: spill,
      CAPTURE_BATCH_SIZE: '500',
      CAPTURE_FLUSH_MS: '200',
      CAPTURE_QUEUE_LIMIT: '20000',
      RATE_LIMIT_PER_MINUTE: '0',
    });
    try {
      const load = startLoad(`${service.url}/predict`, () => VALID_APPLICATION, { concurrency: 8 });
      await sleep(1_000);
      const faultStarted = Date.now();
      proxy.mode = 'hang';
      await sleep(3_000);
      proxy.mode = 'refuse';
      await sleep(3_000);
      proxy.mode = 'pass';
      const faultSeconds = (Date.now() - faultStarted) / 1000;
      await sleep(1_000);
      const samples = await load.stop();
      expect(samples.filter((s) => s.status !== 200)).toEqual([]);
      const failures = await metricValue(service.url, 'prediction_capture_write_failures_total');
      expect(failures).toBeGreaterThan(0);
      const spilledDuringFault = await metricValue(service.url, 'prediction_capture_spilled_total');
      // The log is back: the queue drains and the spilled files follow (after the write backoff, up to ~6 s here).
      await waitFor(
        async () =>
          (await metricValue(service.url, 'prediction_capture_spill_files')) === 0 &&
          (await metricValue(service.url, 'prediction_capture_queue_depth')) === 0,
        30_000,
      );
      const dropped = await metricValue(service.url, 'prediction_capture_dropped_total');
      const delivered = await metricValue(service.url, 'prediction_capture_spill_delivered_total');
      await service.stop();
      const answered = samples.map((s) => s.body.prediction_id as string);
      const written = idsIn(await filesInBucket(s3.client, 'predictions'));
      expect(dropped).toBe(0);
      expect(answered.filter((id) => !written.has(id))).toEqual([]);
      expect(idsIn(await filesInDirectory(spill)).size).toBe(0);
      const errorLines = service.logs.filter(
        (l) => l.level === 'error' && l.context === 'PredictionCaptureService',
      ).length;
      expect(errorLines).toBeLessThanOrEqual(Math.ceil(faultSeconds / 5) + 3);
      console.log(
        `log faults under load: ${answered.length} answered, all ${written.size} in the log after it recovered, ${spilledDuringFault} of them through the spill ` +
          `(${delivered} files delivered), ${dropped} dropped, ${failures} failed writes, ${errorLines} error lines in ${faultSeconds.toFixed(1)} s of faults`,
      );
    } finally {
      await service.stop();
      await proxy.close();
      await s3.dispose();
    }
  });
});

describe('abuse is refused before work', () => {
  // About 1.1 MB: 100,000 short unknown keys.
  const manyKeys = () => JSON.stringify(Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`k${i}`, 0])));

  async function timedPost(url: string, body: string, headers: Record<string, string> = {}) {
    let healthAnswered = 0;
    let checking = true;
    const health = (async () => {
      while (checking) {
        if ((await fetch(url.replace(/\/predict.*/, '/health/live'))).status === 200) healthAnswered++;
        await sleep(20);
      }
    })();
    const started = performance.now();
    const answer = await postJson(url, body, headers);
    const ms = performance.now() - started;
    checking = false;
    await health;
    return { ...answer, ms, healthAnswered };
  }

  it('answers a 1 MB body of 100,000 unknown keys in well under a second, with one problem, while health checks go on', async () => {
    const body = manyKeys();
    expect(body.length).toBeGreaterThan(1_000_000);
    expect(body.length).toBeLessThan(1_200_000);
    const service = await startService({});
    try {
      const answer = await timedPost(`${service.url}/predict`, body);
      expect(answer.status).toBe(400);
      expect(answer.json.errors).toEqual([
        { field: 'body', message: 'body has 100000 fields; at most 12 are allowed (unknown fields are rejected)' },
      ]);
      expect(answer.text.length).toBeLessThan(1_000);
      // Unprotected, such a body held the event loop for 5.0 s; protected it takes 150-200 ms here. The bound
      // tells the two apart with room for a slower shared CI machine (553 ms seen here beside the other suites).
      const PROTECTED_MS = 2_000;
      expect(answer.ms).toBeLessThan(PROTECTED_MS);
      const items = JSON.stringify({ applications: [VALID_APPLICATION, JSON.parse(body)] });
      const batch = await timedPost(`${service.url}/predict/batch`, items);
      expect(batch.status).toBe(400);
      expect(batch.json.errors[0].field).toBe('applications.1');
      expect(batch.ms).toBeLessThan(PROTECTED_MS);
      console.log(
        `100,000 unknown keys: answered 400 in ${Math.round(answer.ms)} ms (batch item: ${Math.round(batch.ms)} ms)`,
      );
    } finally {
      await service.stop();
    }
  });

  it('lists at most 20 problems and clips echoed field names', async () => {
    const service = await startService({});
    try {
      const items = Array.from({ length: 50 }, () => ({ ...VALID_APPLICATION, credit_score: 'high', loan_amount: -1 }));
      const answer = await postJson(`${service.url}/predict/batch`, { applications: items });
      expect(answer.status).toBe(400);
      expect(answer.json.errors).toHaveLength(21);
      expect(answer.json.errors[20].message).toBe('and 80 more problems');
      const long = await postJson(`${service.url}/predict`, { ...VALID_APPLICATION, ['x'.repeat(5_000)]: 1 });
      expect(long.status).toBe(400);
      expect(long.text.length).toBeLessThan(1_000);
    } finally {
      await service.stop();
    }
  });

  it('checks the API key before reading the body: 401 for 100,000 keys without a key, in well under a second', async () => {
    const service = await startService({ API_KEYS: 'key-one-0123456789' });
    try {
      const answer = await timedPost(`${service.url}/predict`, manyKeys());
      expect(answer.status).toBe(401);
      expect(answer.ms).toBeLessThan(500);
      expect(answer.json).toMatchObject({
        statusCode: 401,
        error: 'Unauthorized',
        message: ['a valid x-api-key header is required'],
      });
      expect(typeof answer.json.request_id).toBe('string');
      expect(answer.headers.get('x-content-type-options')).toBe('nosniff');
    } finally {
      await service.stop();
    }
  });

  it.each([
    [
      'API keys',
      '/predict',
      (i: number) => ({ 'x-api-key': `guess-${i}-0123456789` }),
      { API_KEYS: 'key-one-0123456789' },
    ],
    [
      'admin tokens',
      '/admin/models/reload',
      (i: number) => ({ authorization: `Bearer guess-${i}-0123456789` }),
      { ADMIN_TOKEN },
    ],
  ])(
    'ends 1,000 wrong %s from one client in 429s, and still lets the right one through from that address',
    async (_kind, route, headers, env) => {
      const service = await startService({ ...env, AUTH_FAILURES_PER_MINUTE: '30' });
      try {
        const statuses: number[] = [];
        for (let i = 0; i < 1_000; i++)
          statuses.push((await postJson(`${service.url}${route}`, VALID_APPLICATION, headers(i))).status);
        expect(statuses.slice(0, 30).every((s) => s === 401 || s === 403)).toBe(true);
        expect(statuses.slice(30)).toEqual(Array(970).fill(429));
        const right: Record<string, string> =
          route === '/predict' ? { 'x-api-key': 'key-one-0123456789' } : { authorization: `Bearer ${ADMIN_TOKEN}` };
        // Valid clients that share the guesser's address (one NAT, a proxy without TRUST_PROXY) are not locked
        // out: the right credential passes, while the next wrong one is refused still.
        const served = await postJson(`${service.url}${route}`, VALID_APPLICATION, right);
        expect(served.status).toBe(200);
        const refused = await postJson(`${service.url}${route}`, VALID_APPLICATION, headers(1_000));
        expect(refused.status).toBe(429);
        expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
        expect(
          service.logs.some(
            (l) => l.message === 'too many wrong credentials; wrong credentials from this network refused',
          ),
        ).toBe(true);
        expect(await metricValue(service.url, 'rate_limited_total', { reason: 'auth_failures' })).toBe(971);
      } finally {
        await service.stop();
      }
    },
  );
});

describe('behind a load balancer (TRUST_PROXY)', () => {
  const wrong = (forwardedFor: string) => ({ 'x-api-key': 'guess-0123456789', 'x-forwarded-for': forwardedFor });
  const right = (forwardedFor: string) => ({ 'x-api-key': 'key-one-0123456789', 'x-forwarded-for': forwardedFor });

  it('locks out the client the balancer names, not the balancer, when the balancer is trusted', async () => {
    const service = await startService({
      API_KEYS: 'key-one-0123456789',
      AUTH_FAILURES_PER_MINUTE: '3',
      TRUST_PROXY: '127.0.0.0/8',
    });
    try {
      // A client may forge the left of the header; the balancer appends the address it saw, which is what counts.
      for (let i = 0; i < 4; i++)
        await postJson(`${service.url}/predict`, VALID_APPLICATION, wrong('10.9.9.9, 198.51.100.7'));
      expect((await postJson(`${service.url}/predict`, VALID_APPLICATION, wrong('198.51.100.7'))).status).toBe(429);
      expect(
        (await postJson(`${service.url}/predict`, VALID_APPLICATION, wrong('10.9.9.9, 198.51.100.8'))).status,
      ).toBe(401);
      const refusal = service.logs.find(
        (l) => l.message === 'too many wrong credentials; wrong credentials from this network refused',
      );
      expect(refusal?.network).toBe('198.51.100.7');
    } finally {
      await service.stop();
    }
  });

  it('counts an IPv6 client by its /64: 50 addresses of one prefix share one limit of wrong keys', async () => {
    const service = await startService({
      API_KEYS: 'key-one-0123456789',
      AUTH_FAILURES_PER_MINUTE: '3',
      TRUST_PROXY: '127.0.0.0/8',
    });
    try {
      const statuses: number[] = [];
      for (let i = 1; i <= 50; i++)
        statuses.push(
          (await postJson(`${service.url}/predict`, VALID_APPLICATION, wrong(`2001:db8:7:1::${i.toString(16)}`)))
            .status,
        );
      expect(statuses.slice(0, 3)).toEqual([401, 401, 401]);
      expect(statuses.slice(3)).toEqual(Array(47).fill(429));
      // The next /64 is another client.
      expect((await postJson(`${service.url}/predict`, VALID_APPLICATION, wrong('2001:db8:7:2::1'))).status).toBe(401);
    } finally {
      await service.stop();
    }
  });

  it('ignores X-Forwarded-For from a socket it does not trust', async () => {
    const service = await startService({ API_KEYS: 'key-one-0123456789', AUTH_FAILURES_PER_MINUTE: '3' });
    try {
      for (let i = 0; i < 4; i++) await postJson(`${service.url}/predict`, VALID_APPLICATION, wrong(`198.51.100.${i}`));
      // Every forged address was the one socket address: the lockout holds whatever the header says.
      expect((await postJson(`${service.url}/predict`, VALID_APPLICATION, wrong('198.51.100.200'))).status).toBe(429);
      // ...and a valid key from that socket still passes.
      expect((await postJson(`${service.url}/predict`, VALID_APPLICATION, right('198.51.100.200'))).status).toBe(200);
      expect(service.logs.some((l) => /TRUST_PROXY is not/.test(String(l.message)))).toBe(true);
    } finally {
      await service.stop();
    }
  });
});

describe('admin calls take effect in the order they were issued', () => {
  it('never stays pinned when an unpin follows an activate 1 ms later (50 times)', async () => {
    const store = path.join(dir, 'store-pin');
    await cp(DEMO_STORE, store, { recursive: true });
    const service = await startService({ MODEL_STORE: store, ADMIN_TOKEN });
    try {
      const version = (await admin(service.url, 'GET', '/admin/models')).json.active as string;
      let pinned = 0;
      for (let i = 0; i < 50; i++) {
        const activate = admin(service.url, 'POST', `/admin/models/${version}/activate`);
        await sleep(1);
        const unpin = admin(service.url, 'DELETE', '/admin/models/pin');
        expect((await activate).status).toBe(200);
        expect((await unpin).status).toBe(200);
        if ((await admin(service.url, 'GET', '/admin/models')).json.pinned !== null) pinned++;
        await admin(service.url, 'DELETE', '/admin/models/pin');
      }
      expect(pinned).toBe(0);
    } finally {
      await service.stop();
    }
  });

  it('names store keys, not local paths, in its errors', async () => {
    const store = path.join(dir, 'store-broken');
    await cp(DEMO_STORE, store, { recursive: true });
    const service = await startService({ MODEL_STORE: store, ADMIN_TOKEN });
    try {
      const version = '20300101T000000Z-0000001';
      const original = (await admin(service.url, 'GET', '/admin/models')).json.active as string;
      await cp(
        path.join(store, 'loan-default/versions', original),
        path.join(store, 'loan-default/versions', version),
        { recursive: true },
      );
      await rm(path.join(store, 'loan-default/versions', version, 'model.onnx'));
      const answer = await admin(service.url, 'POST', `/admin/models/${version}/activate`);
      expect(answer.status).toBe(422);
      expect(answer.json.error).toBe('Unprocessable Entity');
      expect(JSON.stringify(answer.json)).not.toContain(store);
      expect(answer.json.message.join(' ')).toContain(`loan-default/versions/${version}/`);
    } finally {
      await service.stop();
    }
  });
});

describe('slow and numerous clients', () => {
  /** Opens a connection, sends part of a request's headers and resolves how long until the server closes it. */
  function slowHeaders(port: number): Promise<number> {
    return new Promise((resolve) => {
      const started = performance.now();
      const socket = net.connect(port, '127.0.0.1', () => socket.write('POST /predict HTTP/1.1\r\nHost: x\r\n'));
      socket.on('data', () => undefined);
      socket.on('error', () => undefined);
      socket.on('close', () => resolve(performance.now() - started));
    });
  }

  it('cuts slow headers at HEADERS_TIMEOUT_MS', async () => {
    const service = await startService({ HEADERS_TIMEOUT_MS: '1000', REQUEST_TIMEOUT_MS: '20000' });
    try {
      const ms = await slowHeaders(service.port);
      expect(ms).toBeGreaterThanOrEqual(900);
      expect(ms).toBeLessThan(1_000 + 2_000 + 500); // the deadline plus one checking interval
    } finally {
      await service.stop();
    }
  });

  it('refuses connections past MAX_CONNECTIONS with a log line, and serves again once they close', async () => {
    const service = await startService({ MAX_CONNECTIONS: '20' });
    const sockets: net.Socket[] = [];
    try {
      for (let i = 0; i < 30; i++) {
        const socket = net.connect(service.port, '127.0.0.1');
        socket.on('error', () => undefined);
        sockets.push(socket);
      }
      await waitFor(
        async () => service.logs.some((l) => l.message === 'connection refused: MAX_CONNECTIONS open'),
        5_000,
      );
      for (const socket of sockets) socket.destroy();
      await waitFor(async () => (await postJson(`${service.url}/predict`, VALID_APPLICATION)).status === 200, 5_000);
      expect(await metricValue(service.url, 'http_connections_refused_total')).toBeGreaterThanOrEqual(10);
    } finally {
      for (const socket of sockets) socket.destroy();
      await service.stop();
    }
  });

  it("answers Fastify's own URL errors in the one error shape, with the request id and security headers, without echoing the URL", async () => {
    const service = await startService({ ADMIN_TOKEN });
    try {
      for (const [route, status] of [
        ['/predict/%E0%A4%A', 400],
        [`/admin/models/${'v'.repeat(200)}/activate`, 414],
      ] as const) {
        const response = await fetch(`${service.url}${route}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
        });
        expect(response.status).toBe(status);
        const body = (await response.json()) as { message: unknown };
        expect(body).toMatchObject({ statusCode: status, request_id: response.headers.get('x-request-id') });
        expect(Array.isArray(body.message)).toBe(true);
        expect(JSON.stringify(body)).not.toContain('%E0');
        expect(JSON.stringify(body)).not.toContain('vvvv');
        expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      }
    } finally {
      await service.stop();
    }
  });
});

describe('METRICS_TOKEN', () => {
  it('puts metrics and monitoring behind a bearer token when set; health stays open', async () => {
    const token = 'metrics-token-0123456789';
    const service = await startService({ METRICS_TOKEN: token });
    try {
      for (const route of ['/metrics', '/monitoring/drift', '/models/active']) {
        expect((await fetch(`${service.url}${route}`)).status).toBe(401);
        expect(
          (await fetch(`${service.url}${route}`, { headers: { authorization: 'Bearer wrong-token-0123456789' } }))
            .status,
        ).toBe(403);
        expect((await fetch(`${service.url}${route}`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(
          200,
        );
      }
      expect((await fetch(`${service.url}/health/ready`)).status).toBe(200);
    } finally {
      await service.stop();
    }
  });
});
