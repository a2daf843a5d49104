import { gunzipSync, gzipSync } from 'node:zlib';
import { joinParts } from './gzip-members.js';

describe('joinParts', () => {
  it('joins the gzip members of several chunks into one file per partition, in order, counting their records', () => {
    const part = (partition: string, text: string, records: number) => ({ partition, records, body: gzipSync(text) });
    const joined = joinParts([
      [part('dt=2026-11-26', 'a\n', 1), part('dt=2026-11-27', 'x\n', 1)],
      [part('dt=2026-11-26', 'b\nc\n', 2)],
    ]);
    expect(joined.map((p) => [p.partition, p.records, gunzipSync(p.body).toString()])).toEqual([
      ['dt=2026-11-26', 3, 'a\nb\nc\n'],
      ['dt=2026-11-27', 1, 'x\n'],
    ]);
  });

  it('passes a single member through untouched', () => {
    const body = gzipSync('only\n');
    expect(joinParts([[{ partition: 'dt=2026-01-01', records: 1, body }]])[0].body).toBe(body);
  });
});
