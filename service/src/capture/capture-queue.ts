import type { LoanApplication } from '../contract/loan-application.contract.js';
import { ChunkWriter } from './chunk-writer.js';
import type { AnsweredPrediction, RecordChunk, RecordGroup } from './record-layout.js';

/**
 * The records capture holds in memory, and where each is: in the chunk being filled, in a sealed chunk waiting
 * to be written (oldest first), or in the write under way. Its counts are kept as records move, so `rows` (read on
 * every request) adds three numbers.
 */
export class CaptureQueue {
  private writer: ChunkWriter;
  private waiting: RecordChunk[] = [];
  private waitingRows = 0;
  private inFlight: RecordChunk[] | null = null;
  private inFlightRows = 0;

  constructor(batchSize: number) {
    this.writer = new ChunkWriter(batchSize);
  }

  /** Every record held: filling, waiting and being written. */
  get rows(): number {
    return this.writer.rows + this.waitingRows + this.inFlightRows;
  }

  /** Records in sealed chunks waiting for a write. */
  get queuedRows(): number {
    return this.waitingRows;
  }

  get hasWaiting(): boolean {
    return this.waiting.length > 0;
  }

  /**
   * Records answers[0, count) in the chunk being filled, sealing each chunk that fills; `sealed` hears of each
   * (the encoder starts on it at once).
   */
  append(
    applications: readonly LoanApplication[],
    answers: readonly AnsweredPrediction[],
    count: number,
    group: RecordGroup,
    sealed: (chunk: RecordChunk) => void,
  ): void {
    for (let from = 0; from < count;) {
      const taken = Math.min(this.writer.room, count - from);
      this.writer.append(applications, answers, from, taken, group);
      from += taken;
      if (this.writer.room === 0) sealed(this.seal()!);
    }
  }

  /** Moves the chunk being filled to the back of the waiting line; null when it is empty. */
  seal(): RecordChunk | null {
    if (this.writer.rows === 0) return null;
    const chunk = this.writer.take();
    this.waiting.push(chunk);
    this.waitingRows += chunk.rows;
    return chunk;
  }

  /**
   * The next write: the oldest chunk and those behind it up to `mostRows`, now in flight. A backlog goes out in
   * fewer, larger files.
   */
  takeWrite(mostRows: number): RecordChunk[] {
    const chunks = [this.waiting.shift()!];
    let rows = chunks[0].rows;
    while (this.waiting.length > 0 && rows + this.waiting[0].rows <= mostRows) {
      rows += this.waiting[0].rows;
      chunks.push(this.waiting.shift()!);
    }
    this.waitingRows -= rows;
    this.inFlight = chunks;
    this.inFlightRows = rows;
    return chunks;
  }

  /** Whether these chunks are still the write in flight (a shutdown may have spilled them meanwhile). */
  isInFlight(chunks: readonly RecordChunk[]): boolean {
    return this.inFlight === chunks;
  }

  /** The write landed: its chunks leave the queue. */
  written(chunks: readonly RecordChunk[]): void {
    if (this.inFlight !== chunks) return;
    this.inFlight = null;
    this.inFlightRows = 0;
  }

  /** The write failed: its chunks go back to the front, ahead of newer records. */
  writeFailed(chunks: RecordChunk[]): void {
    if (this.inFlight !== chunks) return;
    this.waiting.unshift(...chunks);
    this.waitingRows += this.inFlightRows;
    this.inFlight = null;
    this.inFlightRows = 0;
  }

  /** The oldest waiting chunk, taken off the line (to the spill directory). */
  takeOldest(): RecordChunk | undefined {
    const chunk = this.waiting.shift();
    if (chunk) this.waitingRows -= chunk.rows;
    return chunk;
  }

  /** Every waiting chunk, taken off the line (to the spill directory at once). */
  takeWaiting(): RecordChunk[] {
    const chunks = this.waiting.splice(0);
    this.waitingRows = 0;
    return chunks;
  }

  /** Chunks the spill directory could not take, back at the end of the line. */
  putBack(chunks: readonly RecordChunk[]): void {
    for (const chunk of chunks) {
      this.waiting.push(chunk);
      this.waitingRows += chunk.rows;
    }
  }

  /** Everything held, sealed and taken: the write in flight and the waiting line (the shutdown's last spill). */
  takeAll(): { inFlight: RecordChunk[]; waiting: RecordChunk[] } {
    this.seal();
    const taken = { inFlight: this.inFlight ?? [], waiting: this.waiting };
    this.inFlight = null;
    this.inFlightRows = 0;
    this.waiting = [];
    this.waitingRows = 0;
    return taken;
  }
}
