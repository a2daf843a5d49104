import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import { appConfig } from '../config/app.config.js';
import { MetricsService } from '../monitoring/metrics.service.js';
import { BlobStore, createBlobStore, FsBlobStore } from '../storage/blob-store.js';
import { partitionOf, PredictionRecord } from './prediction-record.js';

const gzip = promisify(gzipCallback);
/** Where records go when the log itself cannot be written at shutdown, so none is lost. */
export const SPILL_DIR = './var/predictions-spill';

/**
 * Appends every accepted prediction to PREDICTION_LOG as gzip JSON lines, partitioned by date:
 * dt=YYYY-MM-DD/part-<time>-<id>.jsonl.gz. capture() only pushes onto a bounded in-memory queue, so a
 * request never waits for storage; a file is written when the queue holds a batch or the flush interval
 * passes (compression runs on libuv's thread pool). A full queue drops new records and counts them. A
 * failed write keeps its records queued for the next attempt. On shutdown, after the HTTP server has
 * finished its in-flight requests, the queue is drained; what still cannot be written is spilled to disk.
 */
@Injectable()
export class PredictionCaptureService implements OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(PredictionCaptureService.name);
  private sink: BlobStore | null = null;
  private queue: PredictionRecord[] = [];
  private writing: Promise<void> | null = null;
  /** Records taken off the queue by the write under way; they count against the limit until written. */
  private inFlight = 0;
  private timer: NodeJS.Timeout | null = null;
  private sequence = 0;
  private readonly instance = randomBytes(4).toString('hex');

  constructor(
    @Inject(appConfig.KEY) private readonly config: ConfigType<typeof appConfig>,
    private readonly metrics: MetricsService,
  ) {
  }

  get enabled(): boolean {
    return this.config.predictionLog !== 'off';
  }

  /** A directory log must be writable before the service takes traffic. */
  async onModuleInit(): Promise<void> {
    if (!this.enabled) return;
    this.sink = await createBlobStore(this.config.predictionLog);
    if (!(this.sink instanceof FsBlobStore)) return;
    const sink = this.sink;
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
    const room = this.config.captureQueueLimit - this.queue.length - this.inFlight;
    if (records.length > room) {
      this.metrics.captureDropped.inc(records.length - Math.max(room, 0));
      records = records.slice(0, Math.max(room, 0));
    }
    for (const record of records) this.queue.push(record);
    this.metrics.captureQueueDepth.set(this.queue.length);
    if (this.queue.length >= this.config.captureBatchSize) void this.flush();
  }

  /** Writes queued records (one batch per call, one file per date in it); concurrent calls share a write. */
  flush(): Promise<void> {
    if (!this.sink || this.queue.length === 0) return this.writing ?? Promise.resolve();
    this.writing ??= this.writeBatch().finally(() => {
      this.writing = null;
    });
    return this.writing;
  }

  private async writeBatch(): Promise<void> {
    const batch = this.queue.splice(0, this.config.captureBatchSize);
    this.inFlight = batch.length;
    try {
      await this.writeRecords(this.sink!, batch);
      this.metrics.captureWritten.inc(batch.length);
    } catch (error) {
      // Keep them for the next attempt, ahead of newer records.
      this.queue.unshift(...batch);
      this.metrics.captureWriteFailures.inc();
      this.logger.error({ message: 'prediction log write failed; records kept for retry', records: batch.length, reason: (error as Error).message });
    } finally {
      this.inFlight = 0;
      this.metrics.captureQueueDepth.set(this.queue.length);
    }
  }

  private async writeRecords(store: BlobStore, records: PredictionRecord[]): Promise<void> {
    const byPartition = new Map<string, PredictionRecord[]>();
    for (const record of records) {
      const key = partitionOf(record);
      byPartition.set(key, [...(byPartition.get(key) ?? []), record]);
    }
    for (const [partition, rows] of byPartition) {
      const stamp = new Date().toISOString().replace(/[-:.]/g, '');
      const key = `${partition}/part-${stamp}-${this.instance}-${String(this.sequence++).padStart(6, '0')}.jsonl.gz`;
      const body = await gzip(Buffer.from(rows.map((r) => JSON.stringify(r)).join('\n') + '\n'));
      await store.put(key, body, { contentType: 'application/gzip' });
    }
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (!this.sink) return;
    await this.writing?.catch(() => undefined);
    for (let attempt = 0; this.queue.length > 0 && attempt < 3; ) {
      const before = this.queue.length;
      await this.flush();
      if (this.queue.length >= before) attempt++;
    }
    if (this.queue.length > 0) {
      const spill = new FsBlobStore(SPILL_DIR);
      const records = this.queue.splice(0);
      await this.writeRecords(spill, records);
      this.logger.error({ message: 'prediction log unwritable at shutdown; records spilled to disk', records: records.length, spill: spill.location });
    }
    this.logger.log({ message: 'prediction log flushed', written_total: (await this.metrics.captureWritten.get()).values[0]?.value ?? 0 });
  }
}
