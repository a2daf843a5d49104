import { sha256 } from './sha256.js';

/**
 * An id that sorts by time, with the first digits of a content's sha256 to tell two of the same second apart:
 * job runs, snapshots and published credit policies are named so.
 */
export function timeId(now: Date, content: string | Uint8Array): string {
  return `${now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')}-${sha256(typeof content === 'string' ? Buffer.from(content) : content).slice(0, 7)}`;
}
