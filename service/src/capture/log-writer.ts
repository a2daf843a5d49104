import type { ChunkEncodings } from './chunk-encodings.js';
import { joinParts } from './gzip-members.js';
import type { PartNames } from './part-names.js';
import type { RecordChunk } from './record-layout.js';
import type { BlobStore } from '../storage/blob-store.js';

/**
 * Writes chunks to the prediction log: their files (from the encoder), joined into one file per date, each put
 * under a new part name. Throws what the log threw; the caller keeps the chunks for the next attempt.
 */
export class LogWriter {
  constructor(
    private readonly sink: BlobStore,
    private readonly encodings: ChunkEncodings,
    private readonly names: PartNames,
  ) {}

  async write(chunks: readonly RecordChunk[]): Promise<void> {
    for (const part of joinParts(await Promise.all(chunks.map((chunk) => this.encodings.encode(chunk))))) {
      const body = Buffer.from(part.body.buffer, part.body.byteOffset, part.body.byteLength);
      await this.sink.put(this.names.next(part.partition), body, { contentType: 'application/gzip' });
    }
  }
}
