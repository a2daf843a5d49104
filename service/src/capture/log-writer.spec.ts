import { MAIN_THREAD_ENCODER } from '../../../test/helpers/capture.js';
import { VALID_APPLICATION } from '../../../test/helpers/applications.js';
import { gunzipSync } from 'node:zlib';
import type { BlobStore } from '../storage/blob-store.js';
import { ChunkEncodings } from './chunk-encodings.js';
import { ChunkWriter } from './chunk-writer.js';
import { LogWriter } from './log-writer.js';
import { PartNames } from './part-names.js';

const chunkAt = (time: number, ids: string[]) => {
  const writer = new ChunkWriter(ids.length);
  const answers = ids.map((id) => ({ prediction_id: id, probability_of_default: 0.2, decision: 'approve' as const }));
  writer.append(
    ids.map(() => VALID_APPLICATION),
    answers,
    0,
    ids.length,
    { time, requestId: 'r', modelVersion: 'v', threshold: 0.5 },
  );
  return writer.take();
};

describe('LogWriter and PartNames', () => {
  it('writes the chunks of one write as one file per date, records in order, under time-sorted part names', async () => {
    const puts: { key: string; body: Buffer }[] = [];
    const sink = { put: async (key: string, body: Buffer) => void puts.push({ key, body }) } as unknown as BlobStore;
    const clock = { now: () => Date.UTC(2026, 10, 26, 12, 30, 45, 123) };
    const encodings = new ChunkEncodings(MAIN_THREAD_ENCODER);
    const writer = new LogWriter(sink, encodings, new PartNames(clock));
    const day1 = Date.UTC(2026, 10, 26, 23);
    const day2 = Date.UTC(2026, 10, 27, 1);
    await writer.write([chunkAt(day1, ['a', 'b']), chunkAt(day1, ['c']), chunkAt(day2, ['d'])]);
    expect(puts.map((p) => p.key)).toEqual([
      expect.stringMatching(/^dt=2026-11-26\/part-20261126T123045123Z-[0-9a-f]{8}-000000\.jsonl\.gz$/),
      expect.stringMatching(/^dt=2026-11-27\/part-20261126T123045123Z-[0-9a-f]{8}-000001\.jsonl\.gz$/),
    ]);
    const ids = (body: Buffer) =>
      gunzipSync(body)
        .toString()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l).prediction_id);
    expect(puts.map((p) => ids(p.body))).toEqual([['a', 'b', 'c'], ['d']]);
  });

  it('throws what the log threw, so the caller keeps the records', async () => {
    const sink = {
      put: async () => {
        throw new Error('log down');
      },
    } as unknown as BlobStore;
    const encodings = new ChunkEncodings(MAIN_THREAD_ENCODER);
    const writer = new LogWriter(sink, encodings, new PartNames({ now: () => 0 }));
    await expect(writer.write([chunkAt(0, ['a'])])).rejects.toThrow('log down');
  });
});
