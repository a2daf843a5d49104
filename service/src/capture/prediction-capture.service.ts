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
import { appConfig } from '../config/app.config.js';
import type { LoanApplication } from '../contract/loan-application.contract.js';
import { LogThrottle } from '../logging/log-throttle.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { ScoringEvents } from '../scoring/scoring-events.js';
import { ShadowScoringService } from '../shadow/shadow-scoring.service.js';
import type { ShadowAnswer } from '../shadow/shadow-scoring.service.js';
import type { BlobStore } from '../storage/blob-store.js';
import { Backoff } from './backoff.js';
import { CaptureQueue } from './capture-queue.js';
import { CAPTURE_CLOCK, PREDICTION_SINK, RECORD_ENCODER, SPILL_STORE } from './capture.tokens.js';
import type { Clock, PredictionSink, RecordEncoder, SpillStore } from './capture.tokens.js';
import { ChunkEncodings } from './chunk-encodings.js';
import type { EncodedPart } from './chunk-json.js';
import { LogWriter } from './log-writer.js';
import { PartNames } from './part-names.js';
import type { AnsweredPrediction, RecordChunk, RecordGroup } from './record-layout.js';
import { SpillDelivery } from './spill-delivery.js';

/** Longest pause between write attempts while the log keeps failing. */
const MAX_BACKOFF_MS = 60_000;
/** After the spill directory refused a chunk (full, or a disk error), the next attempt waits this long. */
const SPILL_RETRY_MS = 5_000;
/** One turn of delivering spilled files; the queue's own writes go between turns. */
const DELIVERY_TURN_MS = 1_000;
/** Time kept back from the shutdown deadline for the spill to disk. */
const SPILL_RESERVE_MS = 1_000;

/** What exists only when there is a log to write to. */
interface LogParts {
  sink: BlobStore;
  encodings: ChunkEncodings;
  writer: LogWriter;
  delivery: SpillDelivery;
}

/**
 * Appends every accepted prediction to PREDICTION_LOG as gzip JSON lines, partitioned by date:
 * dt=YYYY-MM-DD/part-<time>-<id>.jsonl.gz. This service only wires the parts and owns the shutdown:
 * - capture() writes the records into columns of numbers (chunk-writer.ts) within a bounded queue
 *   (capture-queue.ts), so a request never waits for storage and leaves no objects behind for the GC;
 * - a chunk is sealed when CAPTURE_BATCH_SIZE records fill it or the flush interval passes, and encoded at once
 *   on a worker thread (chunk-encodings.ts); chunks that queued behind a write go together in the next;
 * - a write (log-writer.ts) that fails keeps its records queued, and the next attempt waits, doubling up to a
 *   minute (backoff.ts), so a broken log costs a line every few seconds, not one per request;
 * - while the log is failing the queue keeps half its room: older chunks go to the spill store (SPILL_STORE,
 *   CAPTURE_SPILL_DIR, at most CAPTURE_SPILL_MAX_MB), delivered to the log once it takes writes again
 *   (spill-delivery.ts), as are files an earlier run left there. Only records that find both the queue and the
 *   spill full are dropped, counted and named in a rate-limited warning;
 * - shutdown has a deadline (SHUTDOWN_TIMEOUT_MS from the signal): the queue is drained until then, then spilled
 *   files are delivered while time remains, and what is left, including a write still hanging, is spilled;
 *   records that even the spill cannot take are counted and logged. Delivery is at least once: a write that hung
 *   and completed after all may also be in the spill.
 */
@Injectable()
export class PredictionCaptureService
  implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown
{
  private readonly logger = new Logger(PredictionCaptureService.name);
  private readonly throttle = new LogThrottle(5_000);
  private readonly log: LogParts | null;
  private readonly queue: CaptureQueue;
  private readonly names: PartNames;
  /** The log's retries, and the spill store's pause after it refused a chunk. */
  private readonly logBackoff: Backoff;
  private readonly spillBackoff: Backoff;
  private writing: Promise<void> | null = null;
  private delivering: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private dropped = 0;
  /** Chunks on their way to the spill store; they count against the limit until written. */
  private readonly spilling = new Set<RecordChunk>();
  private spillingRows = 0;
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
    @Inject(PREDICTION_SINK) sink: PredictionSink,
    @Inject(RECORD_ENCODER) encoder: RecordEncoder | null,
    @Inject(SPILL_STORE) private readonly spill: SpillStore,
    @Inject(CAPTURE_CLOCK) private readonly clock: Clock,
    private readonly shadowScoring: ShadowScoringService,
  ) {
    this.queue = new CaptureQueue(config.captureBatchSize);
    this.names = new PartNames(clock);
    this.logBackoff = new Backoff(clock, config.captureFlushMs, MAX_BACKOFF_MS);
    this.spillBackoff = new Backoff(clock, SPILL_RETRY_MS, SPILL_RETRY_MS);
    if (sink && encoder) {
      const encodings = new ChunkEncodings(encoder);
      this.log = {
        sink,
        encodings,
        writer: new LogWriter(sink, encodings, this.names),
        delivery: new SpillDelivery(sink, spill, metrics),
      };
    } else {
      this.log = null;
    }
  }

  /** Records held: waiting for their shadow score, in the queue (filling, waiting, being written) and spilling. */
  get pending(): number {
    return this.shadowRows + this.queue.rows + this.spillingRows;
  }

  /** A directory log must be writable before the service takes traffic. */
  async onModuleInit(): Promise<void> {
    if (!this.log) return;
    this.events.subscribe((event) => {
      const group: RecordGroup = {
        time: event.time,
        requestId: event.requestId,
        modelVersion: event.model.version,
        ratingGrades: event.model.ratingGrades,
        threshold: event.model.threshold,
        policy: event.policy,
      };
      // Records wait for the shadow's answer only while the queue has room for them; the shadow is scored anyway.
      const roomToWait = this.pending + event.applications.length <= this.config.captureQueueLimit / 2;
      const shadowAnswer = roomToWait ? this.shadowScoring.scoreFor(event) : null;
      if (shadowAnswer) this.captureAfterShadow(shadowAnswer, event.applications, event.answers, group);
      else this.capture(event.applications, event.answers, group);
    });
    if (this.log.sink.probe) await this.probe(this.log.sink);
    // Files an earlier run spilled (a restart during an outage) wait for the log like this run's. A broken spill
    // directory is a fallback lost, not a reason to refuse traffic: said, and tried again when needed.
    await this.spill.load().catch((error: Error) =>
      this.logger.error({
        message: 'spill directory unreadable; records spilled by an earlier run are not delivered',
        spill: this.spill.root,
        reason: error.message,
      }),
    );
    this.metrics.captureSpillFiles.set(this.spill.files);
    if (this.spill.files > 0) {
      this.logger.warn({
        message: 'spilled prediction files found; delivering them to the log',
        files: this.spill.files,
        spill: this.spill.root,
      });
    }
  }

  private async probe(sink: BlobStore): Promise<void> {
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
    if (!this.log) return;
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

  /**
   * Never blocks and never throws: records the answers to `applications` (same order) in the current chunk, or
   * counts them as dropped when the queue (with the spill under way) is full.
   */
  capture(applications: readonly LoanApplication[], answers: readonly AnsweredPrediction[], group: RecordGroup): void {
    if (!this.log) return;
    let room = this.config.captureQueueLimit - this.pending;
    if (answers.length > room) room += this.spillQueuedNow();
    let taken = answers.length;
    if (taken > room) {
      taken = Math.max(room, 0);
      this.drop(answers.length - taken);
    }
    this.queue.append(applications, answers, taken, group, (chunk) => this.sealed(chunk));
    if (this.queue.hasWaiting) void this.flush();
    if (this.logBackoff.failing && this.queue.queuedRows > this.config.captureQueueLimit / 2) this.spillBacklog();
  }

  /** Seals the chunk being filled (see sealed). */
  private seal(): void {
    const chunk = this.queue.seal();
    if (chunk) this.sealed(chunk);
  }

  /** A chunk left the writer for the queue: the worker encodes it now, so its write finds the bytes ready. */
  private sealed(chunk: RecordChunk): void {
    void this.log!.encodings.encode(chunk);
    this.metrics.captureQueueDepth.set(this.pending);
  }

  /**
   * Moves queued chunks, one at a time and oldest first, to the spill store (encoded on the worker) until the
   * queue is back under half its limit; one chunk at a time, so little is held by a slow disk.
   */
  private spillBacklog(): void {
    if (this.spilling.size > 0 || this.shutdownDeadline !== null || this.spillBackoff.waiting) return;
    void (async () => {
      while (
        this.logBackoff.failing &&
        this.queue.queuedRows > this.config.captureQueueLimit / 2 &&
        this.shutdownDeadline === null &&
        !this.spillBackoff.waiting
      ) {
        const chunk = this.queue.takeOldest()!;
        this.spillingRows += chunk.rows;
        this.spilling.add(chunk);
        await this.spillChunk(chunk);
      }
      this.metrics.captureSpillFiles.set(this.spill.files);
      this.metrics.captureQueueDepth.set(this.pending);
    })();
  }

  /**
   * The queue is full (the spill under way could not keep up): its chunks go to the spill store now, as the files
   * the worker made of them, so that new records fit. Only in an outage. Returns the records moved.
   */
  private spillQueuedNow(): number {
    if (this.shutdownDeadline !== null || this.spillBackoff.waiting) return 0;
    const chunks = this.queue.takeWaiting();
    let moved = 0;
    for (const [i, chunk] of chunks.entries()) {
      try {
        const parts = this.log!.encodings.encodedNow(chunk);
        this.checkSpillRoom(parts);
        for (const part of parts) this.spill.writeSync(this.names.next(part.partition), part.body);
        moved += chunk.rows;
      } catch (error) {
        // Chunks the spill could not take go back: the write retries them, or the shutdown spills them.
        this.queue.putBack(chunks.slice(i));
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
    if (!this.spill.hasRoom(bytes)) {
      throw new Error(`the spill directory holds its limit (CAPTURE_SPILL_MAX_MB=${this.config.captureSpillMaxMb})`);
    }
  }

  private spillFailed(error: Error): void {
    this.spillBackoff.failed();
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
      const parts = await this.log!.encodings.encode(chunk);
      this.checkSpillRoom(parts);
      // Gone when the shutdown's spill took it meanwhile.
      if (!this.spilling.has(chunk)) return;
      for (const part of parts) await this.spill.write(this.names.next(part.partition), part.body);
      if (!this.spilling.delete(chunk)) return;
      this.spillingRows -= chunk.rows;
      this.metrics.captureSpilled.inc(chunk.rows);
    } catch (error) {
      if (!this.spilling.delete(chunk)) return;
      this.spillingRows -= chunk.rows;
      this.queue.putBack([chunk]);
      this.spillFailed(error as Error);
    }
  }

  /** Delivers spilled files to the log, oldest first, for one turn; a failure waits like a failed write. */
  private deliverSpill(): void {
    if (!this.log || this.delivering || this.spill.files === 0) return;
    if (this.shutdownDeadline !== null || this.logBackoff.waiting) return;
    const started = this.clock.now();
    this.delivering = this.log.delivery
      .deliverWhile(() => this.clock.now() - started < DELIVERY_TURN_MS && this.shutdownDeadline === null)
      .then((failure) => {
        if (failure)
          this.writeFailed(failure, 'spilled prediction files not delivered; kept for retry', this.spill.files);
      })
      .finally(() => {
        this.delivering = null;
      });
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
   * Writes the oldest chunks (one file per date in them); concurrent calls share a write. While the log is
   * failing, calls before the next retry time do nothing (force: at shutdown).
   */
  flush(force = false): Promise<void> {
    if (!this.log || !this.queue.hasWaiting) return this.writing ?? Promise.resolve();
    if (!force && this.logBackoff.waiting) return this.writing ?? Promise.resolve();
    this.writing ??= this.writeBatch().finally(() => {
      this.writing = null;
      // A backlog (after an outage) drains chunk after chunk, not one chunk per interval.
      if (this.queue.hasWaiting && !this.logBackoff.waiting && this.shutdownDeadline === null) void this.flush();
    });
    return this.writing;
  }

  /**
   * One write: the oldest chunk, with those queued behind it up to a quarter of the queue limit. A write waits
   * several turns of the event loop (the encoder's answer, then each file operation or request), and under load
   * a turn is long: with 1,000-row batches the encoder's answer took 40-60 ms and a put 285-730 ms, so one chunk
   * per write carried 2,000 records a second while the service answered 45,000 (the rest went to the spill).
   */
  private async writeBatch(): Promise<void> {
    const chunks = this.queue.takeWrite(Math.max(this.config.captureBatchSize, this.config.captureQueueLimit / 4));
    const rows = chunks.reduce((n, chunk) => n + chunk.rows, 0);
    try {
      await this.log!.writer.write(chunks);
      if (!this.queue.isInFlight(chunks)) return; // spilled at the shutdown deadline while this write hung
      this.queue.written(chunks);
      this.metrics.captureWritten.inc(rows);
      this.logBackoff.succeeded();
      // The log takes writes again: what waits on disk can follow.
      this.deliverSpill();
    } catch (error) {
      if (!this.queue.isInFlight(chunks)) return;
      // Kept for the next attempt, ahead of newer records, after a wait.
      this.queue.writeFailed(chunks);
      this.writeFailed(error as Error, 'prediction log write failed; records kept for retry', rows);
    } finally {
      this.metrics.captureQueueDepth.set(this.pending);
    }
  }

  /** A failed write or delivery: the next attempt waits, doubling up to a minute, and says so at a limited rate. */
  private writeFailed(error: Error, message: string, records: number): void {
    const retryInMs = this.logBackoff.failed();
    this.metrics.captureWriteFailures.inc();
    this.throttle.run('write-failed', (suppressed) =>
      this.logger.error({
        message,
        records,
        pending: this.pending,
        retry_in_ms: retryInMs,
        suppressed,
        reason: error.message,
      }),
    );
  }

  /** The shutdown clock starts at the signal, before the HTTP server finishes its in-flight requests. */
  beforeApplicationShutdown(): void {
    this.shutdownDeadline ??= this.clock.now() + this.config.shutdownTimeoutMs;
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (!this.log) return;
    // Records still waiting for a shadow score are written without it rather than kept waiting.
    this.releaseShadowWaiting();
    const deadline = (this.shutdownDeadline ?? this.clock.now() + this.config.shutdownTimeoutMs) - SPILL_RESERVE_MS;
    let timer: NodeJS.Timeout | undefined;
    const outOfTime = new Promise<'deadline'>((resolve) => {
      timer = setTimeout(() => resolve('deadline'), Math.max(0, deadline - this.clock.now()));
    });
    try {
      for (let failures = 0; this.pending > 0 && failures < 3 && this.clock.now() < deadline;) {
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
    await this.log.encodings.close();
    this.logger.log({
      message: 'prediction log flushed',
      written_total: (await this.metrics.captureWritten.get()).values[0]?.value ?? 0,
    });
  }

  private async deliverSpillBefore(deadline: number, outOfTime: Promise<'deadline'>): Promise<void> {
    if (!this.log || this.spill.files === 0) return;
    if (this.delivering && (await Promise.race([this.delivering, outOfTime])) === 'deadline') return;
    await this.log.delivery.deliverWhile(() => this.clock.now() < deadline, outOfTime);
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
   * Writes every record still held (the queue and any write under way) to the spill store, synchronously, so it
   * also works from a last-moment exit handler. What even that cannot take is counted and logged.
   */
  spillNow(reason: string): void {
    if (!this.log) return;
    this.releaseShadowWaiting();
    const { inFlight, waiting } = this.queue.takeAll();
    // Oldest first: the write under way, then what was spilling, then the queue.
    const held = [...inFlight, ...this.spilling, ...waiting];
    this.spilling.clear();
    this.spillingRows = 0;
    const total = held.reduce((n, chunk) => n + chunk.rows, 0);
    if (total === 0) return;
    let spilled = 0;
    let failure: string | null = null;
    for (const chunk of held) {
      for (const part of this.log.encodings.encodedNow(chunk)) {
        try {
          this.spill.writeSync(this.names.next(part.partition), part.body);
          spilled += part.records;
        } catch (error) {
          failure = (error as Error).message;
        }
      }
    }
    const lost = total - spilled;
    this.metrics.captureSpilled.inc(spilled);
    const spill = this.spill.root;
    if (spilled > 0) this.logger.error({ message: `${reason}; records spilled to disk`, records: spilled, spill });
    if (lost > 0) {
      this.metrics.captureLost.inc(lost);
      this.logger.error({ message: `${reason}; spill failed, records lost`, records: lost, spill, reason: failure });
    }
  }
}
