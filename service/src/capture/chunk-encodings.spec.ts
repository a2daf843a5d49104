import { MAIN_THREAD_ENCODER } from '../../../test/helpers/capture.js';
import { VALID_APPLICATION } from '../../../test/helpers/applications.js';
import { gunzipSync } from 'node:zlib';
import { ChunkWriter } from './chunk-writer.js';
import { ChunkEncodings } from './chunk-encodings.js';
import { encodeChunk } from './chunk-json.js';
import type { RecordEncoder } from './capture.tokens.js';

function chunk() {
  const writer = new ChunkWriter(2);
  writer.append([VALID_APPLICATION], [{ prediction_id: 'p', probability_of_default: 0.5, decision: 'decline' }], 0, 1, {
    time: Date.UTC(2026, 0, 1),
    requestId: null,
    modelVersion: 'v',
    threshold: 0.4,
  });
  return writer.take();
}

describe('ChunkEncodings', () => {
  it('encodes a chunk once however often it is asked, and encodes it again after a failure', async () => {
    let calls = 0;
    let fail = true;
    const encoder: RecordEncoder = {
      encode: async (c) => {
        calls++;
        if (fail) throw new Error('worker gone');
        return encodeChunk(c);
      },
      close: async () => undefined,
    };
    const encodings = new ChunkEncodings(encoder);
    const c = chunk();
    await expect(encodings.encode(c)).rejects.toThrow('worker gone');
    fail = false;
    const [a, b] = await Promise.all([encodings.encode(c), encodings.encode(c)]);
    expect(a).toBe(b);
    expect(calls).toBe(2);
  });

  it("gives the worker's files at once when they are done, and encodes on this thread when they are not", async () => {
    const encodings = new ChunkEncodings(MAIN_THREAD_ENCODER);
    const done = chunk();
    const fromWorker = await encodings.encode(done);
    expect(encodings.encodedNow(done)).toBe(fromWorker);
    const fresh = chunk();
    const now = encodings.encodedNow(fresh);
    expect(now).toHaveLength(1);
    expect(JSON.parse(gunzipSync(now[0].body).toString())).toMatchObject({ prediction_id: 'p', decision: 'decline' });
  });
});
