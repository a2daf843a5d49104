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
import path from 'node:path';
import { appConfig } from '../config/app.config.js';
import { LogThrottle } from '../logging/log-throttle.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { LoanApplication } from '../contract/loan-application.contract.js';
import { ScoringEvents } from '../scoring/scoring-events.js';
import { ShadowScoringService } from '../shadow/shadow-scoring.service.js';
import type { ShadowAnswer } from '../shadow/shadow-scoring.service.js';
import { PREDICTION_SINK, RECORD_ENCODER } from './capture.tokens.js';
import type { PredictionSink, RecordEncoder } from './capture.tokens.js';
import {
  AnsweredPrediction,
  ChunkWriter,
  EncodedPart,
  encodeChunk,
  joinParts,
  RecordChunk,
  RecordGroup,
} from './record-chunk.js';
import { SpillDirectory } from './spill-directory.js';
/** Longest pause between write attempts while the log keeps failing. */
const MAX_BACKOFF_MS = 60_000;
/** After the spill directory refused a chunk (full, or a disk error), the next attempt waits this long. */
const SPILL_RETRY_MS = 5_000;
/** One turn of delivering spilled files; the queue's own writes go between turns. */
const DELIVERY_TURN_MS = 1_000;
/** Time kept back from the shutdown deadline for the spill to disk. */
const SPILL_RESERVE_MS = 1_000;

/**
 * Appends every accepted prediction to PREDICTION_LOG as gzip JSON lines, partitioned by date:
 * dt=YYYY-MM-DD/part-<time>-<id>.jsonl.gz. capture() only writes the records into columns of numbers
 * (record-chunk.ts) within a bounded queue, so a request never waits for storage and leaves no objects behind
 * for the GC; a file is written when a chunk of CAPTURE_BATCH_SIZE records fills or the flush interval passes,
 * its JSON lines and gzip made on a worker thread (chunk-encoder.ts) as the chunk is sealed; chunks that queued
 * behind a write go together in the next (see takeWrite). A failed write keeps its records queued and the next
 * attempt waits, doubling up to a minute, so a broken log costs a line every few seconds, not one per request.
 * While the log is failing the queue keeps half its room: older chunks go to CAPTURE_SPILL_DIR
 * (spill-directory.ts, at most CAPTURE_SPILL_MAX_MB), and once the log takes writes again the spilled files
 * are delivered to it, oldest first, as are files an earlier run left there. Only records that find both the
 * queue and the spill directory full are dropped, counted and named in a rate-limited warning.
 * Shutdown has a deadline (SHUTDOWN_TIMEOUT_MS from the signal): the queue is drained until then, then spilled
 * files are delivered while time remains, and what is left, including a write still hanging, is spilled to
 * CAPTURE_SPILL_DIR; records that even the spill cannot take are counted and logged. Delivery is at least once:
 * a write that hung and completed after all may also be in the spill.
 */
@Injectable()
export class PredictionCaptureService
  implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown
{
  private readonly logger = new Logger(PredictionCaptureService.name);
  private readonly throttle = new LogThrottle(5_000);
  /** The chunk being filled, and the full ones waiting to be written, oldest first. */
  private writer: ChunkWriter;
  private queue: RecordChunk[] = [];
  private queuedRows = 0;
  /** The chunks the write under way took off the queue; they count against the limit until written. */
  private inFlight: RecordChunk[] | null = null;
  /** Their rows, kept so that `pending` (read on every capture) need not add them up. */
  private inFlightRows = 0;
  private writing: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private sequence = 0;
  private readonly instance = randomBytes(4).toString('hex');
  private backoffMs = 0;
  private retryAt = 0;
  private dropped = 0;
  private readonly spill: SpillDirectory;
  /** Chunks on their way to the spill directory; they count against the limit until written. */
  private readonly spilling = new Set<RecordChunk>();
  private spillingRows = 0;
  /** Each queued chunk's encoding, under way or done (its files once the worker has answered); gone with the chunk. */
  private readonly encodings = new WeakMap<
    RecordChunk,
    { files: Promise<EncodedPart[]>; done: EncodedPart[] | null }
  >();
  private spillRetryAt = 0;
  private delivering: Promise<void> | null = null;
  /** Records waiting for their shadow score (see captureAfterShadow). */
  private readonly shadowWaiting = new Set<{
    applications: readonly LoanApplication[];
    answers: readonly AnsweredPrediction[];
    group: RecordGroup;
    done: boolean;
  }>();
  private shadowRows = 0;
  private shutdownDeadline: number | null = null;

  constructor(
    @Inject(appConfig.KEY) private readonly config: ConfigType<typeof appConfig>,
    private readonly metrics: MetricsService,
    private readonly events: ScoringEvents,
    @Inject(PREDICTION_SINK) private readonly sink: PredictionSink,
    @Inject(RECORD_ENCODER) private readonly encoder: RecordEncoder | null,
    private readonly shadowScoring: ShadowScoringService,
  ) {
    this.writer = new ChunkWriter(config.captureBatchSize);
    this.spill = new SpillDirectory(path.resolve(config.captureSpillDir), config.captureSpillMaxMb * 1024 * 1024);
  }

  /**
   * Records waiting: for their shadow score, in the chunk being filled, the queue, the write under way and the spill.
   */
  get pending(): number {
    return this.shadowRows + this.writer.rows + this.queuedRows + this.inFlightRows + this.spillingRows;
  }

  /**
   * Holds the records until the shadow's answer to them arrives (ShadowScoringService scores after the reply),
   * then records them with both answers; without it (the shadow failed) they are recorded as production gave them.
   * Waiting rows count against CAPTURE_QUEUE_LIMIT, and the shutdown records them without the shadow's answer.
   */
  private captureAfterShadow(
    shadowAnswer: Promise<ShadowAnswer | null>,
    applications: readonly LoanApplication[],
    answers: readonly AnsweredPrediction[],
    group: RecordGroup,
  ): void {
    const waiting = { applications, answers, group, done: false };
    this.shadowWaiting.add(waiting);
    this.shadowRows += applications.length;
    void shadowAnswer.then((shadow) => {
      if (waiting.done) return; // recorded at shutdown meanwhile
      waiting.done = true;
      this.shadowWaiting.delete(waiting);
      this.shadowRows -= applications.length;
      this.capture(applications, answers, shadow ? { ...group, shadow } : group);
    });
  }

  /** A directory log must be writable before the service takes traffic. */
  async onModuleInit(): Promise<void> {
    const sink = this.sink;
    if (!sink) return;
    this.events.subscribe((event) => {
      const group: RecordGroup = {
        time: event.time,
        requestId: event.requestId,
        modelVersion: event.model.version,
        threshold: event.model.threshold,
      };
      // Records wait for the shadow's answer only while the queue has room for them; the shadow is scored anyway.
      const roomToWait = this.pending + event.applications.length <= this.config.captureQueueLimit / 2;
      const shadowAnswer = roomToWait ? this.shadowScoring.scoreFor(event) : null;
      if (shadowAnswer) this.captureAfterShadow(shadowAnswer, event.applications, event.answers, group);
      else this.capture(event.applications, event.answers, group);
    });
    if (sink.probe) await this.probe(sink);
    // Files an earlier run spilled (a restart during an outage) wait for the log like this run's.
    // A broken spill directory is a fallback lost, not a reason to refuse traffic: said, and tried again when needed.
    await this.spill.load().catch((error: Error) =>
      this.logger.error({
        message: 'spill directory unreadable; records spilled by an earlier run are not delivered',
        spill: this.spill.root,
        reason: error.message,
      }),
    );
    this.metrics.captureSpillFiles.set(this.spill.files);
    if (this.spill.files > 0)
      this.logger.warn({
        message: 'spilled prediction files found; delivering them to the log',
        files: this.spill.files,
        spill: this.spill.root,
      });
  }

  private async probe(sink: NonNullable<PredictionSink>): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('timed out')), 5_000);
    });
    try {
      await Promise.race([sink.probe!(), timeout]);
    } catch (error) {
      throw new Error(`PREDICTION_LOG ${sink.location} is not writable: ${(error as Error).message}`, { cause: error });
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
      this.deliverSpill();
    }, this.config.captureFlushMs);
    this.timer.unref();
    this.deliverSpill();
  }

  /**
   * Never blocks and never throws: records the answers to `applications` (same order) in the current chunk, or
   * counts them as dropped when the queue (with the spill under way) is full.
   */
  capture(applications: readonly LoanApplication[], answers: readonly AnsweredPrediction[], group: RecordGroup): void {
    if (!this.sink) return;
    let room = this.config.captureQueueLimit - this.pending;
    if (answers.length > room) room += this.spillQueuedNow();
    let taken = answers.length;
    if (taken > room) {
      taken = Math.max(room, 0);
      this.drop(answers.length - taken);
    }
    for (let from = 0; from < taken;) {
      const count = Math.min(this.writer.room, taken - from);
      this.writer.append(applications, answers, from, count, group);
      from += count;
      if (this.writer.room === 0) this.seal();
    }
    if (this.queue.length > 0) void this.flush();
    // retryAt is set only while the log is failing.
    if (this.retryAt > 0 && this.queuedRows > this.config.captureQueueLimit / 2) this.spillBacklog();
  }

  /**
   * Moves queued chunks, one at a time and oldest first, to the spill directory (encoded on the worker) until the
   * queue is back under half its limit; one chunk at a time, so little is held by a slow disk.
   */
  private spillBacklog(): void {
    if (this.spilling.size > 0 || this.shutdownDeadline !== null || Date.now() < this.spillRetryAt) return;
    void (async () => {
      while (
        this.retryAt > 0 &&
        this.queuedRows > this.config.captureQueueLimit / 2 &&
        this.shutdownDeadline === null &&
        Date.now() >= this.spillRetryAt
      ) {
        const chunk = this.queue.shift()!;
        this.queuedRows -= chunk.rows;
        this.spillingRows += chunk.rows;
        this.spilling.add(chunk);
        await this.spillChunk(chunk);
      }
      this.metrics.captureSpillFiles.set(this.spill.files);
      this.metrics.captureQueueDepth.set(this.pending);
    })();
  }

  /**
   * The queue is full (the spill under way could not keep up): its chunks go to the spill directory now, as the
   * files the worker made of them (encodedNow; a chunk it has not finished is encoded on this thread, a few ms
   * per thousand records), so that new records fit. Only in an outage. Returns the records moved.
   */
  private spillQueuedNow(): number {
    if (this.shutdownDeadline !== null || Date.now() < this.spillRetryAt) return 0;
    const chunks = this.queue.splice(0);
    for (const chunk of chunks) this.queuedRows -= chunk.rows;
    let moved = 0;
    for (const [i, chunk] of chunks.entries()) {
      try {
        const parts = this.encodedNow(chunk);
        this.checkSpillRoom(parts);
        for (const part of parts) this.spill.writeSync(this.partKey(part.partition), part.body);
        moved += chunk.rows;
      } catch (error) {
        this.requeue(chunks.slice(i));
        this.spillFailed(error as Error);
        break;
      }
    }
    this.metrics.captureSpilled.inc(moved);
    this.metrics.captureSpillFiles.set(this.spill.files);
    return moved;
  }

  private checkSpillRoom(parts: readonly EncodedPart[]): void {
    const bytes = parts.reduce((n, part) => n + part.body.byteLength, 0);
    if (!this.spill.hasRoom(bytes))
      throw new Error(`the spill directory holds its limit (CAPTURE_SPILL_MAX_MB=${this.config.captureSpillMaxMb})`);
  }

  /** Chunks the spill could not take go back to the queue: the write retries them, or the shutdown spills them. */
  private requeue(chunks: readonly RecordChunk[]): void {
    for (const chunk of chunks) {
      this.queue.push(chunk);
      this.queuedRows += chunk.rows;
    }
  }

  private spillFailed(error: Error): void {
    this.spillRetryAt = Date.now() + SPILL_RETRY_MS;
    this.throttle.run('spill-failed', (suppressed) =>
      this.logger.error({
        message: 'prediction records not spilled; kept in the queue',
        reason: error.message,
        spill: this.spill.root,
        suppressed,
      }),
    );
  }

  private async spillChunk(chunk: RecordChunk): Promise<void> {
    try {
      const parts = await this.encode(chunk);
      this.checkSpillRoom(parts);
      // Gone when the shutdown's spill took it meanwhile.
      if (!this.spilling.has(chunk)) return;
      for (const part of parts) await this.spill.write(this.partKey(part.partition), part.body);
      if (!this.spilling.delete(chunk)) return;
      this.spillingRows -= chunk.rows;
      this.metrics.captureSpilled.inc(chunk.rows);
    } catch (error) {
      if (!this.spilling.delete(chunk)) return;
      this.spillingRows -= chunk.rows;
      this.requeue([chunk]);
      this.spillFailed(error as Error);
    }
  }

  /** Delivers spilled files to the log, oldest first, for one turn; a failure waits like a failed write. */
  private deliverSpill(): void {
    if (
      this.delivering ||
      this.spill.files === 0 ||
      !this.sink ||
      this.shutdownDeadline !== null ||
      Date.now() < this.retryAt
    )
      return;
    const started = Date.now();
    this.delivering = this.deliverSpillWhile(
      () => Date.now() - started < DELIVERY_TURN_MS && this.shutdownDeadline === null,
    )
      .then((failure) => {
        if (failure)
          this.writeFailed(failure, 'spilled prediction files not delivered; kept for retry', this.spill.files);
      })
      .finally(() => {
        this.delivering = null;
      });
  }

  /**
   * Puts spilled files into the log, oldest first, while `more()` holds; stops at the first failure and returns
   * it. With `outOfTime`, a put still hanging when it resolves is left behind (its file stays on disk).
   */
  private async deliverSpillWhile(more: () => boolean, outOfTime?: Promise<'deadline'>): Promise<Error | null> {
    const sink = this.sink!;
    try {
      while (this.spill.files > 0 && more()) {
        const put = this.spill.deliverOldest((key, body) => sink.put(key, body, { contentType: 'application/gzip' }));
        if (outOfTime) {
          put.catch(() => undefined); // a put that fails after the deadline has nobody to tell
          if ((await Promise.race([put, outOfTime])) === 'deadline') return null;
        } else {
          await put;
        }
        this.metrics.captureSpillDelivered.inc();
      }
      return null;
    } catch (error) {
      return error as Error;
    } finally {
      this.metrics.captureSpillFiles.set(this.spill.files);
    }
  }

  /** Moves the chunk being filled onto the queue, and has the worker encode it now (see encode). */
  private seal(): void {
    if (this.writer.rows === 0) return;
    const chunk = this.writer.take();
    this.queue.push(chunk);
    this.queuedRows += chunk.rows;
    void this.encode(chunk);
    this.metrics.captureQueueDepth.set(this.pending);
  }

  /**
   * A chunk's files, encoded once on the worker, from the moment it is sealed: the write that takes it finds the
   * bytes ready and only joins them. Posting each chunk as it fills costs the main thread about 0.04 ms; posting
   * 25 at write time cost 3 ms at once.
   */
  private encode(chunk: RecordChunk): Promise<EncodedPart[]> {
    const started = this.encodings.get(chunk);
    if (started) return started.files;
    const encoding = { files: this.encoder!.encode(chunk), done: null as EncodedPart[] | null };
    encoding.files.then(
      (files) => {
        encoding.done = files;
      },
      // A failure is its reader's to handle (a chunk spilled meanwhile has none); the next attempt encodes again.
      () => {
        if (this.encodings.get(chunk) === encoding) this.encodings.delete(chunk);
      },
    );
    this.encodings.set(chunk, encoding);
    return encoding.files;
  }

  /**
   * A chunk's files at once, for the synchronous spills: the worker's when it has finished them (it usually has:
   * it starts when the chunk is sealed), else encoded on this thread.
   */
  private encodedNow(chunk: RecordChunk): EncodedPart[] {
    return this.encodings.get(chunk)?.done ?? encodeChunk(chunk);
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

  /**
   * The oldest chunk, with those queued behind it up to a quarter of the queue limit: a backlog goes out in fewer,
   * larger files. A write waits several turns of the event loop (the encoder's answer, then each file operation
   * or request), and under load a turn is long: with 1,000-row batches the encoder's answer took 40-60 ms and a
   * put 285-730 ms, so one chunk per write carried 2,000 records a second while the service answered 45,000 (the
   * rest went to the spill).
   */
  private takeWrite(): RecordChunk[] {
    const most = Math.max(this.config.captureBatchSize, this.config.captureQueueLimit / 4);
    const chunks = [this.queue.shift()!];
    let rows = chunks[0].rows;
    while (this.queue.length > 0 && rows + this.queue[0].rows <= most) {
      rows += this.queue[0].rows;
      chunks.push(this.queue.shift()!);
    }
    this.queuedRows -= rows;
    this.inFlight = chunks;
    this.inFlightRows = rows;
    return chunks;
  }

  private async writeBatch(): Promise<void> {
    const chunks = this.takeWrite();
    const rows = this.inFlightRows;
    try {
      for (const part of joinParts(await Promise.all(chunks.map((chunk) => this.encode(chunk))))) {
        await this.sink!.put(
          this.partKey(part.partition),
          Buffer.from(part.body.buffer, part.body.byteOffset, part.body.byteLength),
          { contentType: 'application/gzip' },
        );
      }
      if (this.inFlight !== chunks) return; // spilled at the shutdown deadline while this write hung
      this.metrics.captureWritten.inc(rows);
      this.backoffMs = 0;
      this.retryAt = 0;
      // The log takes writes again: what waits on disk can follow.
      this.deliverSpill();
    } catch (error) {
      if (this.inFlight !== chunks) return;
      // Keep them for the next attempt, ahead of newer records, and wait before it.
      this.queue.unshift(...chunks);
      this.queuedRows += rows;
      this.writeFailed(error as Error, 'prediction log write failed; records kept for retry', rows);
    } finally {
      if (this.inFlight === chunks) {
        this.inFlight = null;
        this.inFlightRows = 0;
      }
      this.metrics.captureQueueDepth.set(this.pending);
    }
  }

  /** A failed write or delivery: the next attempt waits, doubling up to a minute, and says so at a limited rate. */
  private writeFailed(error: Error, message: string, records: number): void {
    this.backoffMs = Math.min(MAX_BACKOFF_MS, Math.max(this.config.captureFlushMs, this.backoffMs * 2));
    this.retryAt = Date.now() + this.backoffMs;
    this.metrics.captureWriteFailures.inc();
    this.throttle.run('write-failed', (suppressed) =>
      this.logger.error({
        message,
        records,
        pending: this.pending,
        retry_in_ms: this.backoffMs,
        suppressed,
        reason: error.message,
      }),
    );
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
      for (let failures = 0; this.pending > 0 && failures < 3 && Date.now() < deadline;) {
        const before = this.pending;
        this.seal();
        if ((await Promise.race([this.writing ?? this.flush(true), outOfTime])) === 'deadline') break;
        if (this.pending >= before) failures++;
      }
      // The queue is in the log: what an earlier outage left on disk goes too, while time remains (a task's
      // disk may not outlive it).
      if (this.pending === 0) await this.deliverSpillBefore(deadline, outOfTime);
    } finally {
      clearTimeout(timer);
    }
    this.spillNow('prediction log unwritable at shutdown');
    await this.encoder?.close();
    this.logger.log({
      message: 'prediction log flushed',
      written_total: (await this.metrics.captureWritten.get()).values[0]?.value ?? 0,
    });
  }

  private async deliverSpillBefore(deadline: number, outOfTime: Promise<'deadline'>): Promise<void> {
    if (!this.sink || this.spill.files === 0) return;
    if (this.delivering && (await Promise.race([this.delivering, outOfTime])) === 'deadline') return;
    await this.deliverSpillWhile(() => Date.now() < deadline, outOfTime);
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
    const held = [...(this.inFlight ?? []), ...this.spilling, ...this.queue];
    this.inFlight = null;
    this.inFlightRows = 0;
    this.spilling.clear();
    this.spillingRows = 0;
    this.queue = [];
    this.queuedRows = 0;
    const total = held.reduce((n, chunk) => n + chunk.rows, 0);
    if (total === 0) return;
    const root = this.spill.root;
    let spilled = 0;
    let failure: string | null = null;
    for (const chunk of held) {
      for (const part of this.encodedNow(chunk)) {
        try {
          this.spill.writeSync(this.partKey(part.partition), part.body);
          spilled += part.records;
        } catch (error) {
          failure = (error as Error).message;
        }
      }
    }
    const lost = total - spilled;
    this.metrics.captureSpilled.inc(spilled);
    if (spilled > 0)
      this.logger.error({ message: `${reason}; records spilled to disk`, records: spilled, spill: root });
    if (lost > 0) {
      this.metrics.captureLost.inc(lost);
      this.logger.error({
        message: `${reason}; spill failed, records lost`,
        records: lost,
        spill: root,
        reason: failure,
      });
    }
  }
}
