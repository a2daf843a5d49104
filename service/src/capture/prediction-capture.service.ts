import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
  OnModuleInit,
} from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { appConfig } from '../config/app.config.js';
import { LogThrottle } from '../logging/log-throttle.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { LoanApplication } from '../contract/loan-application.contract.js';
import { ScoringEvents } from '../scoring/scoring-events.js';
import { ChallengersService } from '../model/challengers.service.js';
import type { LoadedModel } from '../model/loaded-model.js';
import { PREDICTION_SINK, RECORD_ENCODER } from './capture.tokens.js';
import type { PredictionSink, RecordEncoder } from './capture.tokens.js';
import { AnsweredPrediction, ChunkWriter, encodeChunk, RecordChunk, RecordGroup } from './record-chunk.js';
/** Longest pause between write attempts while the log keeps failing. */
const MAX_BACKOFF_MS = 60_000;
/** Time kept back from the shutdown deadline for the spill to disk. */
const SPILL_RESERVE_MS = 1_000;

/**
 * Appends every accepted prediction to PREDICTION_LOG as gzip JSON lines, partitioned by date:
 * dt=YYYY-MM-DD/part-<time>-<id>.jsonl.gz. capture() only writes the records into columns of numbers
 * (record-chunk.ts) within a bounded queue, so a request never waits for storage and leaves no objects behind
 * for the GC; a file is written when a chunk of CAPTURE_BATCH_SIZE records fills or the flush interval passes,
 * its JSON lines and gzip made on a worker thread (chunk-encoder.ts). A full queue drops new records, counts them and says
 * so in a rate-limited warning. A failed write keeps its records queued and the next attempt waits, doubling
 * up to a minute, so a broken log costs a line every few seconds, not one per request.
 * Shutdown has a deadline (SHUTDOWN_TIMEOUT_MS from the signal): the queue is drained until then, and what is
 * left, including a write still hanging, is spilled to CAPTURE_SPILL_DIR; records that even the spill cannot
 * take are counted and logged. Delivery is at least once: a write that hung and completed after all may
 * also be in the spill.
 */
@Injectable()
export class PredictionCaptureService implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger(PredictionCaptureService.name);
  private readonly throttle = new LogThrottle(5_000);
  /** The chunk being filled, and the full ones waiting to be written, oldest first. */
  private writer: ChunkWriter;
  private queue: RecordChunk[] = [];
  private queuedRows = 0;
  /** The chunk the write under way took off the queue; it counts against the limit until written. */
  private inFlight: RecordChunk | null = null;
  private writing: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private sequence = 0;
  private readonly instance = randomBytes(4).toString('hex');
  private backoffMs = 0;
  private retryAt = 0;
  private dropped = 0;
  /** Records waiting for their shadow score (see shadowThenCapture). */
  private readonly shadowWaiting = new Set<{ applications: readonly LoanApplication[]; answers: readonly AnsweredPrediction[]; group: RecordGroup; done: boolean }>();
  private shadowRows = 0;
  private shutdownDeadline: number | null = null;

  constructor(
    @Inject(appConfig.KEY) private readonly config: ConfigType<typeof appConfig>,
    private readonly metrics: MetricsService,
    private readonly events: ScoringEvents,
    @Inject(PREDICTION_SINK) private readonly sink: PredictionSink,
    @Inject(RECORD_ENCODER) private readonly encoder: RecordEncoder | null,
    private readonly challengers: ChallengersService,
  ) {
    this.writer = new ChunkWriter(config.captureBatchSize);
  }

  /** Records waiting: for their shadow score, in the chunk being filled, the queue and the write under way. */
  get pending(): number {
    return this.shadowRows + this.writer.rows + this.queuedRows + (this.inFlight?.rows ?? 0);
  }

  /**
   * Scores the applications with the shadow version after the answer has gone (setImmediate runs after the
   * reply is written), then records them with both scores. Waiting rows count against CAPTURE_QUEUE_LIMIT; when
   * the shadow fails, or the queue is too full to wait, the records are kept without the shadow's score.
   */
  private shadowThenCapture(shadow: LoadedModel, applications: readonly LoanApplication[], answers: readonly AnsweredPrediction[], group: RecordGroup): void {
    if (this.pending + applications.length > this.config.captureQueueLimit / 2) {
      this.metrics.shadowScores.inc({ outcome: 'skipped' }, applications.length);
      this.capture(applications, answers, group);
      return;
    }
    const waiting = { applications, answers, group, done: false };
    this.shadowWaiting.add(waiting);
    this.shadowRows += applications.length;
    const model = shadow.acquire();
    const finish = (scores: Float32Array | null) => {
      model.releaseLease();
      if (waiting.done) return; // spilled at shutdown meanwhile
      waiting.done = true;
      this.shadowWaiting.delete(waiting);
      this.shadowRows -= applications.length;
      if (!scores) {
        this.capture(applications, answers, group);
        return;
      }
      const shadow = { version: model.version, threshold: model.threshold, scores };
      this.capture(applications, answers, { ...group, shadow });
      this.events.emitShadow({
        production: { version: group.modelVersion, threshold: group.threshold, scores: answers.map((a) => a.probability_of_default) },
        shadow,
      });
    };
    setImmediate(() => {
      model.score(applications).then(
        (scores) => {
          this.metrics.shadowScores.inc({ outcome: 'scored' }, applications.length);
          finish(scores);
        },
        (error) => {
          this.metrics.shadowScores.inc({ outcome: 'failed' }, applications.length);
          this.throttle.run('shadow', (suppressed) =>
            this.logger.error({ message: 'shadow scoring failed; records kept without it', version: model.version, reason: (error as Error).message, suppressed }),
          );
          finish(null);
        },
      );
    });
  }

  /** A directory log must be writable before the service takes traffic. */
  async onModuleInit(): Promise<void> {
    const sink = this.sink;
    if (!sink) return;
    this.events.subscribe((event) => {
      const group: RecordGroup = { time: event.time, requestId: event.requestId, modelVersion: event.model.version, threshold: event.model.threshold };
      const shadow = this.challengers.current('shadow');
      if (shadow && shadow.version !== event.model.version) this.shadowThenCapture(shadow, event.applications, event.answers, group);
      else this.capture(event.applications, event.answers, group);
    });
    if (!sink.probe) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('timed out')), 5_000);
    });
    try {
      await Promise.race([sink.probe(), timeout]);
    } catch (error) {
      throw new Error(`PREDICTION_LOG ${sink.location} is not writable: ${(error as Error).message}`);
    } finally {
      clearTimeout(timer);
    }
  }

  onApplicationBootstrap(): void {
    if (!this.sink) return;
    // Each interval also seals a partly filled chunk, so a quiet service writes its records within CAPTURE_FLUSH_MS.
    this.timer = setInterval(() => {
      this.seal();
      void this.flush();
    }, this.config.captureFlushMs);
    this.timer.unref();
  }

  /**
   * Never blocks and never throws: records the answers to `applications` (same order) in the current chunk, or
   * counts them as dropped when the queue is full.
   */
  capture(applications: readonly LoanApplication[], answers: readonly AnsweredPrediction[], group: RecordGroup): void {
    if (!this.sink) return;
    const room = this.config.captureQueueLimit - this.pending;
    let taken = answers.length;
    if (taken > room) {
      taken = Math.max(room, 0);
      this.drop(answers.length - taken);
    }
    for (let from = 0; from < taken; ) {
      const count = Math.min(this.writer.room, taken - from);
      this.writer.append(applications, answers, from, count, group);
      from += count;
      if (this.writer.room === 0) this.seal();
    }
    if (this.queue.length > 0) void this.flush();
  }

  /** Moves the chunk being filled onto the queue. */
  private seal(): void {
    if (this.writer.rows === 0) return;
    const chunk = this.writer.take();
    this.queue.push(chunk);
    this.queuedRows += chunk.rows;
    this.metrics.captureQueueDepth.set(this.pending);
  }

  private drop(count: number): void {
    this.dropped += count;
    this.metrics.captureDropped.inc(count);
    this.throttle.run('dropped', () =>
      this.logger.warn({
        message: 'prediction records dropped: capture queue full',
        dropped_total: this.dropped,
        queue_limit: this.config.captureQueueLimit,
        pending: this.pending,
      }),
    );
  }

  /**
   * Writes the oldest chunk (one file per date in it); concurrent calls share a write. While the log is failing,
   * calls before the next retry time do nothing (force: at shutdown).
   */
  flush(force = false): Promise<void> {
    if (!this.sink || this.queue.length === 0) return this.writing ?? Promise.resolve();
    if (!force && Date.now() < this.retryAt) return this.writing ?? Promise.resolve();
    this.writing ??= this.writeBatch().finally(() => {
      this.writing = null;
      // A backlog (after an outage) drains chunk after chunk, not one chunk per interval.
      if (this.queue.length > 0 && Date.now() >= this.retryAt && this.shutdownDeadline === null) void this.flush();
    });
    return this.writing;
  }

  private async writeBatch(): Promise<void> {
    const chunk = this.queue.shift()!;
    this.queuedRows -= chunk.rows;
    this.inFlight = chunk;
    try {
      for (const part of await this.encoder!.encode(chunk)) {
        await this.sink!.put(this.partKey(part.partition), Buffer.from(part.body.buffer, part.body.byteOffset, part.body.byteLength), { contentType: 'application/gzip' });
      }
      if (this.inFlight !== chunk) return; // spilled at the shutdown deadline while this write hung
      this.metrics.captureWritten.inc(chunk.rows);
      this.backoffMs = 0;
      this.retryAt = 0;
    } catch (error) {
      if (this.inFlight !== chunk) return;
      // Keep it for the next attempt, ahead of newer records, and wait before it.
      this.queue.unshift(chunk);
      this.queuedRows += chunk.rows;
      this.backoffMs = Math.min(MAX_BACKOFF_MS, Math.max(this.config.captureFlushMs, this.backoffMs * 2));
      this.retryAt = Date.now() + this.backoffMs;
      this.metrics.captureWriteFailures.inc();
      this.throttle.run('write-failed', (suppressed) =>
        this.logger.error({
          message: 'prediction log write failed; records kept for retry',
          records: chunk.rows,
          pending: this.pending,
          retry_in_ms: this.backoffMs,
          suppressed,
          reason: (error as Error).message,
        }),
      );
    } finally {
      if (this.inFlight === chunk) this.inFlight = null;
      this.metrics.captureQueueDepth.set(this.pending);
    }
  }

  private partKey(partition: string): string {
    const stamp = new Date().toISOString().replace(/[-:.]/g, '');
    return `${partition}/part-${stamp}-${this.instance}-${String(this.sequence++).padStart(6, '0')}.jsonl.gz`;
  }

  /** The shutdown clock starts at the signal, before the HTTP server finishes its in-flight requests. */
  beforeApplicationShutdown(): void {
    this.shutdownDeadline ??= Date.now() + this.config.shutdownTimeoutMs;
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (!this.sink) return;
    // Records still waiting for a shadow score are written without it rather than kept waiting.
    this.releaseShadowWaiting();
    const deadline = (this.shutdownDeadline ?? Date.now() + this.config.shutdownTimeoutMs) - SPILL_RESERVE_MS;
    let timer: NodeJS.Timeout | undefined;
    const outOfTime = new Promise<'deadline'>((resolve) => {
      timer = setTimeout(() => resolve('deadline'), Math.max(0, deadline - Date.now()));
    });
    try {
      for (let failures = 0; this.pending > 0 && failures < 3 && Date.now() < deadline; ) {
        const before = this.pending;
        this.seal();
        if ((await Promise.race([this.writing ?? this.flush(true), outOfTime])) === 'deadline') break;
        if (this.pending >= before) failures++;
      }
    } finally {
      clearTimeout(timer);
    }
    this.spillNow('prediction log unwritable at shutdown');
    await this.encoder?.close();
    this.logger.log({ message: 'prediction log flushed', written_total: (await this.metrics.captureWritten.get()).values[0]?.value ?? 0 });
  }

  /** Records every application still waiting for its shadow score, without it. */
  private releaseShadowWaiting(): void {
    for (const waiting of this.shadowWaiting) {
      waiting.done = true;
      this.shadowRows -= waiting.applications.length;
      this.capture(waiting.applications, waiting.answers, waiting.group);
    }
    this.shadowWaiting.clear();
  }

  /**
   * Writes every record still held (the queue and any write under way) to CAPTURE_SPILL_DIR, synchronously, so
   * it also works from a last-moment exit handler. What even that cannot take is counted and logged.
   */
  spillNow(reason: string): void {
    this.releaseShadowWaiting();
    this.seal();
    const held = [...(this.inFlight ? [this.inFlight] : []), ...this.queue];
    this.inFlight = null;
    this.queue = [];
    this.queuedRows = 0;
    const total = held.reduce((n, chunk) => n + chunk.rows, 0);
    if (total === 0) return;
    const root = path.resolve(this.config.captureSpillDir);
    let spilled = 0;
    let failure: string | null = null;
    for (const chunk of held) {
      for (const part of encodeChunk(chunk)) {
        try {
          const target = path.join(root, this.partKey(part.partition));
          mkdirSync(path.dirname(target), { recursive: true });
          writeFileSync(`${target}.tmp`, part.body);
          renameSync(`${target}.tmp`, target);
          spilled += part.records;
        } catch (error) {
          failure = (error as Error).message;
        }
      }
    }
    const lost = total - spilled;
    this.metrics.captureSpilled.inc(spilled);
    if (spilled > 0) this.logger.error({ message: `${reason}; records spilled to disk`, records: spilled, spill: root });
    if (lost > 0) {
      this.metrics.captureLost.inc(lost);
      this.logger.error({ message: `${reason}; spill failed, records lost`, records: lost, spill: root, reason: failure });
    }
  }
}
