import { createHash } from 'node:crypto';

/** retraining/<run>/: each round's decision report (report.json and report.html). The tables are in ../tables. */
export const RETRAINING = 'retraining/';

export const sha256Hex = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex');

/** Sorts by time; the suffix tells two ids of the same second apart. */
export function timeId(now: Date, salt: string): string {
  return `${now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')}-${sha256Hex(salt).slice(0, 7)}`;
}
