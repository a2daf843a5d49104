import { MAIN_THREAD_ENCODER } from '../../../test/helpers/capture.js';
import { VALID_APPLICATION } from '../../../test/helpers/applications.js';
import { Test } from '@nestjs/testing';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { appConfig, loadAppConfig } from '../config/app.config.js';
import { MetricsService } from '../metrics/metrics.service.js';
import type { LoadedModel } from '../model/loaded-model.js';
import { ScoringEvents } from '../scoring/scoring-events.js';
import { ShadowScoringService } from '../shadow/shadow-scoring.service.js';
import { BlobStore } from '../storage/blob-store.js';
import {
  CAPTURE_CLOCK,
  PREDICTION_SINK,
  RECORD_ENCODER,
  RecordEncoder,
  SPILL_STORE,
  SYSTEM_CLOCK,
} from './capture.tokens.js';
import { PredictionCaptureService } from './prediction-capture.service.js';
import { encodeChunk } from './chunk-json.js';
import { SpillDirectory } from './spill-directory.js';
import { BUILT_IN_POLICY } from '../policy/default-policy.js';

/*
 * PredictionCaptureService with fakes through Nest's testing module: an in-memory sink that can be made to
 * fail, and the encoder on the main thread. Drop, retry and spill are checked here without a server.
 */
class MemorySink implements BlobStore {
  readonly location = 'memory://predictions';
  readonly files = new Map<string, Buffer>();
  failing = false;
  puts = 0;
  /** While set, a put waits for it: a slow log. */
  gate: Promise<void> | null = null;
  async put(key: string, bytes: Buffer): Promise<void> {
    this.puts++;
    if (this.gate) await this.gate;
    if (this.failing) throw new Error('sink down');
    this.files.set(key, Buffer.from(bytes));
  }
  async get(key: string): Promise<Buffer> {
    return this.files.get(key)!;
  }
  async list(prefix: string): Promise<string[]> {
    return [...this.files.keys()].filter((k) => k.startsWith(prefix)).sort();
  }
  async exists(key: string): Promise<boolean> {
    return this.files.has(key);
  }
  async stat(key: string): Promise<string | null> {
    return this.files.has(key) ? String(this.files.get(key)!.length) : null;
  }
  /** Every record written, parsed. */
  records(): Record<string, unknown>[] {
    return [...this.files.values()].flatMap((gz) =>
      gunzipSync(gz)
        .toString()
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line)),
    );
  }
}

const APPLICATION = VALID_APPLICATION;
const MODEL = { version: '20261126T214935Z-f0098e1', threshold: 0.2279 } as LoadedModel;

async function captureWith(
  env: Record<string, string>,
  sink = new MemorySink(),
  spill = mkdtempSync(path.join(os.tmpdir(), 'capture-spill-')),
  encoder: RecordEncoder = MAIN_THREAD_ENCODER,
) {
  const config = loadAppConfig({
    PREDICTION_LOG: 'memory',
    CAPTURE_SPILL_DIR: spill,
    CAPTURE_FLUSH_MS: '3600000',
    ...env,
  });
  const moduleRef = await Test.createTestingModule({
    providers: [
      PredictionCaptureService,
      ScoringEvents,
      MetricsService,
      { provide: appConfig.KEY, useValue: config },
      { provide: PREDICTION_SINK, useValue: sink },
      { provide: RECORD_ENCODER, useValue: encoder },
      { provide: SPILL_STORE, useValue: new SpillDirectory(spill, config.captureSpillMaxMb * 1024 * 1024) },
      { provide: CAPTURE_CLOCK, useValue: SYSTEM_CLOCK },
      // No shadow version set.
      { provide: ShadowScoringService, useValue: { scoreFor: () => null } },
    ],
  }).compile();
  await moduleRef.init();
  const events = moduleRef.get(ScoringEvents);
  let n = 0;
  const score = (count: number, time = Date.UTC(2026, 10, 26, 12)) => {
    const applications = Array.from({ length: count }, () => APPLICATION);
    const answers = applications.map(() => ({
      prediction_id: `00000000-0000-4000-8000-${String(n++).padStart(12, '0')}`,
      probability_of_default: 0.125,
      decision: 'approve' as const,
      threshold: MODEL.threshold,
      model_version: MODEL.version,
      policy_version: BUILT_IN_POLICY.policy_version,
      rules_fired: [],
    }));
    events.emit({
      applications,
      answers,
      scores: new Float32Array(count).fill(0.125),
      model: MODEL,
      role: 'production',
      time,
      requestId: 'req-1',
      policy: BUILT_IN_POLICY,
    });
    return answers;
  };
  const metric = async (
    name:
      | 'captureDropped'
      | 'captureWritten'
      | 'captureSpilled'
      | 'captureWriteFailures'
      | 'captureSpillDelivered'
      | 'captureSpillFiles',
  ) => (await moduleRef.get(MetricsService)[name].get()).values[0]?.value ?? 0;
  return {
    sink,
    spill,
    score,
    metric,
    capture: moduleRef.get(PredictionCaptureService),
    close: async (keepSpill = false) => {
      await moduleRef.close();
      if (!keepSpill) rmSync(spill, { recursive: true, force: true });
    },
  };
}

describe('PredictionCaptureService (fakes through the testing module)', () => {
  const until = async (condition: () => boolean | Promise<boolean>) => {
    for (let i = 0; i < 200 && !(await condition()); i++) await new Promise((r) => setTimeout(r, 10));
    expect(await condition()).toBe(true);
  };

  it('writes what scoring announced, one record per answer, when a chunk fills', async () => {
    const t = await captureWith({ CAPTURE_BATCH_SIZE: '4' });
    try {
      const answers = [...t.score(1), ...t.score(3)];
      await t.capture.flush();
      expect(t.sink.records().map((r) => r.prediction_id)).toEqual(answers.map((a) => a.prediction_id));
      expect(t.sink.records()[0]).toMatchObject({
        inputs: APPLICATION,
        model_version: MODEL.version,
        request_id: 'req-1',
        timestamp: '2026-11-26T12:00:00.000Z',
      });
      expect(await t.metric('captureWritten')).toBe(4);
    } finally {
      await t.close();
    }
  });

  it('drops what does not fit in CAPTURE_QUEUE_LIMIT and counts it', async () => {
    const t = await captureWith({ CAPTURE_BATCH_SIZE: '2', CAPTURE_QUEUE_LIMIT: '4' });
    try {
      t.sink.failing = true; // nothing leaves the queue
      t.score(7);
      expect(t.capture.pending).toBe(4);
      expect(await t.metric('captureDropped')).toBe(3);
    } finally {
      t.sink.failing = false;
      await t.close();
    }
  });

  it('keeps records of a failed write and writes them once the sink is back, in order', async () => {
    const t = await captureWith({ CAPTURE_BATCH_SIZE: '2' });
    try {
      t.sink.failing = true;
      const first = t.score(2);
      await t.capture.flush();
      expect(await t.metric('captureWriteFailures')).toBe(1);
      expect(t.capture.pending).toBe(2);
      // Within the backoff a flush does not try again; forced (as at shutdown) it does.
      const puts = t.sink.puts;
      await t.capture.flush();
      expect(t.sink.puts).toBe(puts);
      t.sink.failing = false;
      const second = t.score(2);
      await t.capture.flush(true);
      await t.capture.flush(true);
      expect(t.sink.records().map((r) => r.prediction_id)).toEqual([...first, ...second].map((a) => a.prediction_id));
      expect(t.capture.pending).toBe(0);
    } finally {
      await t.close();
    }
  });

  it('writes chunks that queued behind a slow write together, up to a quarter of the queue, one file per date, in order', async () => {
    const t = await captureWith({ CAPTURE_BATCH_SIZE: '10', CAPTURE_QUEUE_LIMIT: '200' });
    try {
      let open!: () => void;
      t.sink.gate = new Promise((resolve) => (open = resolve));
      const answers = t.score(10); // fills a chunk: its write starts and waits on the log
      for (let i = 0; i < 6; i++) answers.push(...t.score(10));
      answers.push(...t.score(10, Date.UTC(2026, 10, 27, 0, 0, 1))); // the next day: its own file in the same write
      t.sink.gate = null;
      open();
      await until(() => t.capture.pending === 0);
      const recordsPerFile = [...t.sink.files.entries()].map(([key, gz]) => [
        key.slice(0, 13),
        gunzipSync(gz).toString().split('\n').filter(Boolean).length,
      ]);
      // 10 alone, then 50 (200 / 4), then the 10 left of the first day with the next day's 10 in its own partition.
      expect(recordsPerFile).toEqual([
        ['dt=2026-11-26', 10],
        ['dt=2026-11-26', 50],
        ['dt=2026-11-26', 10],
        ['dt=2026-11-27', 10],
      ]);
      expect(t.sink.records().map((r) => r.prediction_id)).toEqual(answers.map((a) => a.prediction_id));
      expect(await t.metric('captureWritten')).toBe(80);
    } finally {
      await t.close();
    }
  });

  it('encodes each chunk once, when it fills, and again only after its encoding failed', async () => {
    const encoded: number[] = [];
    let failures = 1;
    const flaky: RecordEncoder = {
      encode: async (chunk) => {
        encoded.push(chunk.rows);
        if (failures-- > 0) throw new Error('encoder down');
        return encodeChunk(chunk);
      },
      close: async () => undefined,
    };
    const t = await captureWith({ CAPTURE_BATCH_SIZE: '2' }, undefined, undefined, flaky);
    try {
      const answers = t.score(2); // fills a chunk: its encoding starts, and fails
      expect(encoded).toEqual([2]);
      await t.capture.flush();
      expect(await t.metric('captureWriteFailures')).toBe(1);
      answers.push(...t.score(2), ...t.score(1)); // a second chunk, encoded as it fills; a partial one waits
      expect(encoded).toEqual([2, 2]);
      await until(async () => {
        await t.capture.flush(true);
        return t.capture.pending === 1;
      });
      // The failed chunk encoded again, the second not: 3 encodings for 2 chunks.
      expect(encoded).toEqual([2, 2, 2]);
      expect(t.sink.records().map((r) => r.prediction_id)).toEqual(answers.slice(0, 4).map((a) => a.prediction_id));
    } finally {
      await t.close();
    }
  });

  it('spills at once the files the worker already made, instead of encoding the chunks again on the main thread', async () => {
    // This encoder's gzip (level 9) differs in bytes from the main thread's (level 1), with the same lines.
    const made: Buffer[] = [];
    const level9: RecordEncoder = {
      encode: async (chunk) =>
        encodeChunk(chunk).map((part) => {
          const body = gzipSync(gunzipSync(part.body), { level: 9 });
          made.push(body);
          return { ...part, body };
        }),
      close: async () => undefined,
    };
    const t = await captureWith({ CAPTURE_BATCH_SIZE: '10' }, undefined, undefined, level9);
    try {
      t.sink.failing = true;
      const answers = [...t.score(10), ...t.score(10), ...t.score(3)];
      await until(() => made.length === 2);
      t.capture.spillNow('test');
      const partition = path.join(t.spill, 'dt=2026-11-26');
      const files = readdirSync(partition).map((f) => readFileSync(path.join(partition, f)));
      // The two sealed chunks as the worker made them; the partial one (never sealed, never encoded) made here.
      expect(files.filter((file) => made.some((body) => body.equals(file)))).toHaveLength(2);
      expect(files).toHaveLength(3);
      const lines = files.flatMap((file) => gunzipSync(file).toString().split('\n').filter(Boolean));
      expect(new Set(lines.map((l) => JSON.parse(l).prediction_id))).toEqual(
        new Set(answers.map((a) => a.prediction_id)),
      );
    } finally {
      await t.close();
    }
  });

  it('spills what the sink cannot take to CAPTURE_SPILL_DIR, as the same gzip JSON lines', async () => {
    const t = await captureWith({ CAPTURE_BATCH_SIZE: '10' });
    try {
      t.sink.failing = true;
      const answers = t.score(3);
      t.capture.spillNow('test');
      expect(await t.metric('captureSpilled')).toBe(3);
      const partition = path.join(t.spill, 'dt=2026-11-26');
      const lines = readdirSync(partition).flatMap((f) =>
        gunzipSync(readFileSync(path.join(partition, f)))
          .toString()
          .split('\n')
          .filter(Boolean),
      );
      expect(lines.map((l) => JSON.parse(l).prediction_id)).toEqual(answers.map((a) => a.prediction_id));
      expect(t.capture.pending).toBe(0);
    } finally {
      await t.close();
    }
  });

  it('while the log fails, moves the backlog to the spill directory instead of dropping, and delivers it once the log is back', async () => {
    const t = await captureWith({ CAPTURE_BATCH_SIZE: '10', CAPTURE_QUEUE_LIMIT: '40' });
    try {
      t.sink.failing = true;
      const answers = t.score(10);
      await t.capture.flush();
      expect(await t.metric('captureWriteFailures')).toBe(1);
      // Ten times the queue's limit arrives while the log is down.
      for (let i = 0; i < 40; i++) {
        answers.push(...t.score(10));
        await new Promise((r) => setImmediate(r));
      }
      await until(async () => (await t.metric('captureSpilled')) + t.capture.pending === 410);
      expect(await t.metric('captureDropped')).toBe(0);
      expect(t.capture.pending).toBeLessThanOrEqual(40);
      expect(await t.metric('captureSpillFiles')).toBeGreaterThan(0);
      t.sink.failing = false;
      await t.capture.flush(true);
      await until(async () => (await t.metric('captureSpillFiles')) === 0 && t.capture.pending === 0);
      while (t.capture.pending > 0) await t.capture.flush(true);
      // Every answer once: nothing lost, nothing twice, and the spill directory empty.
      const written = t.sink.records().map((r) => r.prediction_id as string);
      expect(written.length).toBe(answers.length);
      expect(new Set(written)).toEqual(new Set(answers.map((a) => a.prediction_id)));
      expect(readdirSync(t.spill, { recursive: true }).filter((f) => String(f).endsWith('.gz'))).toEqual([]);
    } finally {
      await t.close();
    }
  });

  /** A run that spilled `count` answers while its log was down, then stopped: its directory and answers. */
  const spilledByAnEarlierRun = async (count: number) => {
    const run = await captureWith({ CAPTURE_BATCH_SIZE: '10' });
    run.sink.failing = true;
    const answers = run.score(count);
    run.capture.spillNow('test');
    await run.close(true);
    return { spill: run.spill, answers };
  };

  it('delivers the files an earlier run spilled, at start', async () => {
    const first = await spilledByAnEarlierRun(25);
    const answers = first.answers;
    const sink = new MemorySink();
    const second = await captureWith({ CAPTURE_BATCH_SIZE: '10' }, sink, first.spill);
    try {
      await until(() => sink.records().length === 25);
      expect(sink.records().map((r) => r.prediction_id)).toEqual(answers.map((a) => a.prediction_id));
      expect(await second.metric('captureSpillDelivered')).toBe(sink.files.size);
      // Under the same keys as the log's own files.
      for (const key of sink.files.keys())
        expect(key).toMatch(/^dt=2026-11-26\/part-\d{8}T\d{9}Z-[0-9a-f]{8}-\d{6}\.jsonl\.gz$/);
    } finally {
      await second.close();
    }
  });

  it('drops and counts only what finds the queue full and the spill directory unusable too', async () => {
    const spill = path.join(mkdtempSync(path.join(os.tmpdir(), 'capture-blocked-')), 'spill');
    writeFileSync(spill, 'a file where the directory should be');
    const t = await captureWith({ CAPTURE_BATCH_SIZE: '10', CAPTURE_QUEUE_LIMIT: '40' }, new MemorySink(), spill);
    try {
      t.sink.failing = true;
      t.score(10);
      await t.capture.flush();
      for (let i = 0; i < 10; i++) {
        t.score(10);
        await new Promise((r) => setTimeout(r, 5));
      }
      await until(async () => (await t.metric('captureDropped')) + t.capture.pending === 110);
      expect(t.capture.pending).toBe(40);
      expect(await t.metric('captureSpilled')).toBe(0);
    } finally {
      await t.close();
    }
  });

  it('delivers what waits in the spill directory at shutdown, once its own queue is in the log', async () => {
    const first = await spilledByAnEarlierRun(15);
    const earlier = first.answers;
    // The next run starts while the log is down (its start-up delivery fails), then the log comes back.
    const sink = new MemorySink();
    sink.failing = true;
    const second = await captureWith({ CAPTURE_BATCH_SIZE: '10' }, sink, first.spill);
    await until(async () => (await second.metric('captureWriteFailures')) > 0);
    sink.failing = false;
    const later = second.score(5);
    await second.close();
    expect(new Set(sink.records().map((r) => r.prediction_id))).toEqual(
      new Set([...earlier, ...later].map((a) => a.prediction_id)),
    );
  });
});
