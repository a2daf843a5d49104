import { parentPort } from 'node:worker_threads';
import { encodeChunks, RecordChunk } from './record-chunk.js';

/** Turns record chunks (one write's) into gzip JSON lines off the main thread; the bytes travel back transferred, not copied. */
parentPort!.on('message', ({ id, chunks }: { id: number; chunks: RecordChunk[] }) => {
  try {
    const parts = encodeChunks(chunks);
    parentPort!.postMessage({ id, parts }, parts.map((p) => p.body.buffer as ArrayBuffer));
  } catch (error) {
    parentPort!.postMessage({ id, error: (error as Error).message });
  }
});
