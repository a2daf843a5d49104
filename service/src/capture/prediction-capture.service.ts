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
import { promisify } from 'node:util';
import { gzip as gzipCallback, gzipSync } from 'node:zlib';
import { appConfig } from '../config/app.config.js';
import { LogThrottle } from '../logging/log-throttle.js';
import { MetricsService } from '../monitoring/metrics.service.js';
import { BlobStore } from '../storage/blob-store.js';
import { createBlobStore } from '../storage/create-blob-store.js';
import { FsBlobStore } from '../storage/fs-blob-store.js';
import { partitionOf, PredictionRecord } from './prediction-record.js';

const gzip = promisify(gzipCallback);
/** Longest pause between write attempts while the log keeps failing. */
const MAX_BACKOFF_MS = 60_000;
/** Time kept back from the shutdown deadline for the spill to disk. */
const SPILL_RESERVE_MS = 1_000;

/** Queued records: each one already a JSON line (a string is one object for the GC; a record is dozens). */
interface Queue {
  lines: string[];
  partitions: string[];
}

const emptyQueue = (): Queue => ({ lines: [], partitions: [] });

/**
 * Appends every accepted prediction to PREDICTION_LOG as gzip JSON lines, partitioned by date:
 * dt=YYYY-MM-DD/part-<time>-<id>.jsonl.gz. capture() only pushes onto a bounded in-memory queue, so a
 * request never waits for storage; a file is written when the queue holds a batch or the flush interval
 * passes (compression runs on libuv's thread pool). A full queue drops new records, counts them and says
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
  private sink: BlobStore | null = null;
  private queue: Queue = emptyQueue();
  /** The batch the write under way took off the queue; it counts against the limit until written. */
  private inFlight: Queue | null = null;
  private writing: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private sequence = 0;
  private readonly instance = randomBytes(4).toString('hex');
  private backoffMs = 0;
  private retryAt = 0;
  private dropped = 0;
  private shutdownDeadline: number | null = null;

  constructor(
    @Inject(appConfig.KEY) private readonly config: ConfigType<typeof appConfig>,
    private readonly metrics: MetricsService,
  ) {}

  get enabled(): boolean {
    return this.config.predictionLog !== 'off';
  }

  /** Records waiting, in the queue and in the write under way. */
  get pending(): number {
    return this.queue.lines.length + (this.inFlight?.lines.length ?? 0);
  }

  /** A directory log must be writable before the service takes traffic. */
  async onModuleInit(): Promise<void> {
    if (!this.enabled) return;
    const sink = await createBlobStore(this.config.predictionLog, { timeoutMs: this.config.storeTimeoutMs });
    this.sink = sink;
    if (!(sink instanceof FsBlobStore)) return;
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
    this.timer = setInterval(() => void this.flush(), this.config.captureFlushMs);
    this.timer.unref();
  }

  /** Never blocks and never throws: queue the records, or count them as dropped when the queue is full. */
  capture(records: PredictionRecord[]): void {
    if (!this.sink) return;
    const room = this.config.captureQueueLimit - this.pending;
    let taken = records.length;
    if (taken > room) {
      taken = Math.max(room, 0);
      this.drop(records.length - taken);
    }
    for (let i = 0; i < taken; i++) {
      this.queue.lines.push(JSON.stringify(records[i]));
      this.queue.partitions.push(partitionOf(records[i]));
    }
    this.metrics.captureQueueDepth.set(this.queue.lines.length);
    if (this.queue.lines.length >= this.config.captureBatchSize) void this.flush();
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
   * Writes one batch (one file per date in it); concurrent calls share a write. While the log is failing,
   * calls before the next retry time do nothing (force: at shutdown).
   */
  flush(force = false): Promise<void> {
    if (!this.sink || this.queue.lines.length === 0) return this.writing ?? Promise.resolve();
    if (!force && Date.now() < this.retryAt) return this.writing ?? Promise.resolve();
    this.writing ??= this.writeBatch().finally(() => {
      this.writing = null;
      // A backlog (after an outage) drains batch after batch, not one batch per interval.
      if (this.queue.lines.length >= this.config.captureBatchSize && Date.now() >= this.retryAt && this.shutdownDeadline === null) void this.flush();
    });
    return this.writing;
  }

  private async writeBatch(): Promise<void> {
    const size = this.config.captureBatchSize;
    const batch: Queue = { lines: this.queue.lines.splice(0, size), partitions: this.queue.partitions.splice(0, size) };
    this.inFlight = batch;
    try {
      await this.writeParts(this.sink!, batch);
      if (this.inFlight !== batch) return; // spilled at the shutdown deadline while this write hung
      this.metrics.captureWritten.inc(batch.lines.length);
      this.backoffMs = 0;
      this.retryAt = 0;
    } catch (error) {
      if (this.inFlight !== batch) return;
      // Keep them for the next attempt, ahead of newer records, and wait before it.
      this.queue.lines.unshift(...batch.lines);
      this.queue.partitions.unshift(...batch.partitions);
      this.backoffMs = Math.min(MAX_BACKOFF_MS, Math.max(this.config.captureFlushMs, this.backoffMs * 2));
      this.retryAt = Date.now() + this.backoffMs;
      this.metrics.captureWriteFailures.inc();
      this.throttle.run('write-failed', (suppressed) =>
        this.logger.error({
          message: 'prediction log write failed; records kept for retry',
          records: batch.lines.length,
          pending: this.pending,
          retry_in_ms: this.backoffMs,
          suppressed,
          reason: (error as Error).message,
        }),
      );
    } finally {
      if (this.inFlight === batch) this.inFlight = null;
      this.metrics.captureQueueDepth.set(this.queue.lines.length);
    }
  }

  /** The batch's lines grouped by partition in one pass, in their order. */
  private static byPartition(batch: Queue): Map<string, string[]> {
    const groups = new Map<string, string[]>();
    for (let i = 0; i < batch.lines.length; i++) {
      let group = groups.get(batch.partitions[i]);
      if (!group) groups.set(batch.partitions[i], (group = []));
      group.push(batch.lines[i]);
    }
    return groups;
  }

  private partKey(partition: string): string {
    const stamp = new Date().toISOString().replace(/[-:.]/g, '');
    return `${partition}/part-${stamp}-${this.instance}-${String(this.sequence++).padStart(6, '0')}.jsonl.gz`;
  }

  private async writeParts(store: BlobStore, batch: Queue): Promise<void> {
    for (const [partition, lines] of PredictionCaptureService.byPartition(batch)) {
      const body = await gzip(Buffer.from(lines.join('\n') + '\n'));
      await store.put(this.partKey(partition), body, { contentType: 'application/gzip' });
    }
  }

  /** The shutdown clock starts at the signal, before the HTTP server finishes its in-flight requests. */
  beforeApplicationShutdown(): void {
    this.shutdownDeadline ??= Date.now() + this.config.shutdownTimeoutMs;
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (!this.sink) return;
    const deadline = (this.shutdownDeadline ?? Date.now() + this.config.shutdownTimeoutMs) - SPILL_RESERVE_MS;
    let timer: NodeJS.Timeout | undefined;
    const outOfTime = new Promise<'deadline'>((resolve) => {
      timer = setTimeout(() => resolve('deadline'), Math.max(0, deadline - Date.now()));
    });
    try {
      for (let failures = 0; this.pending > 0 && failures < 3 && Date.now() < deadline; ) {
        const before = this.pending;
        if ((await Promise.race([this.writing ?? this.flush(true), outOfTime])) === 'deadline') break;
        if (this.pending >= before) failures++;
      }
    } finally {
      clearTimeout(timer);
    }
    this.spillNow('prediction log unwritable at shutdown');
    this.logger.log({ message: 'prediction log flushed', written_total: (await this.metrics.captureWritten.get()).values[0]?.value ?? 0 });
  }

  /**
   * Writes every record still held (the queue and any write under way) to CAPTURE_SPILL_DIR, synchronously, so
   * it also works from a last-moment exit handler. What even that cannot take is counted and logged.
   */
  spillNow(reason: string): void {
    const held: Queue = { lines: [...(this.inFlight?.lines ?? []), ...this.queue.lines], partitions: [...(this.inFlight?.partitions ?? []), ...this.queue.partitions] };
    this.inFlight = null;
    this.queue = emptyQueue();
    if (held.lines.length === 0) return;
    const root = path.resolve(this.config.captureSpillDir);
    let spilled = 0;
    let failure: string | null = null;
    for (const [partition, lines] of PredictionCaptureService.byPartition(held)) {
      try {
        const target = path.join(root, this.partKey(partition));
        mkdirSync(path.dirname(target), { recursive: true });
        writeFileSync(`${target}.tmp`, gzipSync(Buffer.from(lines.join('\n') + '\n')));
        renameSync(`${target}.tmp`, target);
        spilled += lines.length;
      } catch (error) {
        failure = (error as Error).message;
      }
    }
    const lost = held.lines.length - spilled;
    this.metrics.captureSpilled.inc(spilled);
    if (spilled > 0) this.logger.error({ message: `${reason}; records spilled to disk`, records: spilled, spill: root });
    if (lost > 0) {
      this.metrics.captureLost.inc(lost);
      this.logger.error({ message: `${reason}; spill failed, records lost`, records: lost, spill: root, reason: failure });
    }
  }
}
