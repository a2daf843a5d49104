import { encodeChunk, EncodedPart } from './chunk-json.js';
import type { RecordEncoder } from './capture.tokens.js';
import type { RecordChunk } from './record-layout.js';

/**
 * Each chunk's files, encoded once on the encoder worker from the moment it is sealed: the write that takes it
 * finds the bytes ready and only joins them. Posting each chunk as it fills costs the main thread about 0.04 ms;
 * posting 25 at write time cost 3 ms at once. A failed encoding is forgotten, so the next attempt encodes again.
 */
export class ChunkEncodings {
  private readonly encodings = new WeakMap<
    RecordChunk,
    { files: Promise<EncodedPart[]>; done: EncodedPart[] | null }
  >();

  constructor(private readonly encoder: RecordEncoder) {}

  /** The chunk's files, from the worker; started now unless already under way or done. */
  encode(chunk: RecordChunk): Promise<EncodedPart[]> {
    const started = this.encodings.get(chunk);
    if (started) return started.files;
    const encoding = { files: this.encoder.encode(chunk), done: null as EncodedPart[] | null };
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
   * The chunk's files at once, for the synchronous spills: the worker's when it has finished them (it usually has:
   * it starts when the chunk is sealed), else encoded on this thread (a few ms per thousand records).
   */
  encodedNow(chunk: RecordChunk): EncodedPart[] {
    return this.encodings.get(chunk)?.done ?? encodeChunk(chunk);
  }

  /** Stops the encoder (its worker thread) once nothing more will be written. */
  close(): Promise<void> {
    return this.encoder.close();
  }
}
