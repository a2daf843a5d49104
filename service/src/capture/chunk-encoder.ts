import { Logger } from '@nestjs/common';
import { Worker } from 'node:worker_threads';
import type { RecordEncoder } from './capture.tokens.js';
import { EncodedPart, encodeChunk } from './chunk-json.js';
import type { RecordChunk } from './record-layout.js';

/** The worker holds one chunk at a time (a few hundred KB): a small heap keeps the process near its RSS budget. */
const WORKER_LIMITS = { maxOldGenerationSizeMb: 32, maxYoungGenerationSizeMb: 8 };

/**
 * Encodes record chunks (JSON lines, then gzip) on a worker thread, so a flush costs the request path nothing
 * but posting the chunk: the lines and gzip of 1,000 records take about 3.4 ms of CPU (measured on Node 24). If the
 * worker cannot
 * start or dies, chunks are encoded on the main thread instead: slower, never lost.
 */
export class ChunkEncoder implements RecordEncoder {
  private readonly logger = new Logger(ChunkEncoder.name);
  private worker: Worker | null = null;
  private readonly pending = new Map<
    number,
    { resolve: (parts: EncodedPart[]) => void; reject: (error: Error) => void }
  >();
  private nextId = 0;

  constructor(workerUrl: URL = new URL('./encoder-worker.js', import.meta.url)) {
    try {
      // No inherited execArgv: the worker needs none, and some (--input-type, --eval) stop it from starting.
      const worker = new Worker(workerUrl, { execArgv: [], resourceLimits: WORKER_LIMITS });
      worker.unref();
      worker.on('message', (message: { id: number; parts?: EncodedPart[]; error?: string }) => {
        const waiting = this.pending.get(message.id);
        this.pending.delete(message.id);
        if (message.parts) waiting?.resolve(message.parts);
        else waiting?.reject(new Error(message.error ?? 'encoder failed'));
      });
      const lost = (reason: string) => {
        if (this.worker !== worker) return;
        this.worker = null;
        this.logger.warn({ message: 'prediction encoder worker unavailable; encoding on the main thread', reason });
        for (const [, waiting] of this.pending) waiting.reject(new Error(`encoder worker: ${reason}`));
        this.pending.clear();
      };
      worker.on('error', (error) => lost(error.message));
      worker.on('exit', (code) => lost(`exited with ${code}`));
      this.worker = worker;
    } catch (error) {
      this.logger.warn({
        message: 'prediction encoder worker unavailable; encoding on the main thread',
        reason: (error as Error).message,
      });
    }
  }

  /** The chunk's files. The chunk is copied to the worker (typed arrays at memcpy speed), so it stays whole here. */
  encode(chunk: RecordChunk): Promise<EncodedPart[]> {
    const worker = this.worker;
    if (!worker) return Promise.resolve(encodeChunk(chunk));
    return new Promise<EncodedPart[]>((resolve, reject) => {
      const id = this.nextId++;
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ id, chunk });
    }).catch(() => encodeChunk(chunk));
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    await worker?.terminate();
  }
}
