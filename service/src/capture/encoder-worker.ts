import { parentPort } from 'node:worker_threads';
import { encodeChunk } from './chunk-json.js';
import type { RecordChunk } from './record-layout.js';

/** Turns record chunks into gzip JSON lines off the main thread; the bytes travel back transferred, not copied. */
parentPort!.on('message', ({ id, chunk }: { id: number; chunk: RecordChunk }) => {
  try {
    const parts = encodeChunk(chunk);
    parentPort!.postMessage(
      { id, parts },
      parts.map((p) => p.body.buffer as ArrayBuffer),
    );
  } catch (error) {
    parentPort!.postMessage({ id, error: (error as Error).message });
  }
});
