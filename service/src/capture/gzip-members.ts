import type { EncodedPart } from './chunk-json.js';

/**
 * The files of several chunks, oldest first, written together: one per date, its chunks' gzip members joined in
 * order. A gzip file may hold several members (RFC 1952), read whole by zlib, Python's gzip and the retraining
 * job; so each chunk is encoded on its own as it fills, and a write only joins bytes.
 */
export function joinParts(chunksParts: readonly (readonly EncodedPart[])[]): EncodedPart[] {
  const partitions = new Map<string, { records: number; members: Uint8Array[] }>();
  for (const parts of chunksParts) {
    for (const { partition, records, body } of parts) {
      const joined = partitions.get(partition);
      if (joined) {
        joined.records += records;
        joined.members.push(body);
      } else {
        partitions.set(partition, { records, members: [body] });
      }
    }
  }
  return [...partitions].map(([partition, { records, members }]) => ({
    partition,
    records,
    body: members.length === 1 ? members[0] : Buffer.concat(members),
  }));
}
