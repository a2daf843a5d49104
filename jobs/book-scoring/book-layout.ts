import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { BlobStore } from '../../service/src/storage/blob-store.js';
import { createBlobStore } from '../../service/src/storage/create-blob-store.js';
import { BookInputError } from './book-contract.js';
import type { PartFormat } from './score-part.js';

/**
 * Where a book's parts come from and where each output goes. Input: one file, or every part under a folder or an
 * S3 prefix (names starting with `_` or `.` are markers and skipped). Output, under --out:
 *
 *   parts/<part>.parquet    the scored rows of one input part
 *   rejects/<part>.jsonl    its rejected rows: row number, key, field, the API's message
 *   records/<part>.json     what was done to it (written last for the part: a part with a record is complete)
 *   manifest.json           the run: model, options, every part's counts and sha256
 *   _SUCCESS                written last of all
 */
export const OUTPUT = {
  part: (stem: string) => `parts/${stem}.parquet`,
  rejects: (stem: string) => `rejects/${stem}.jsonl`,
  record: (stem: string) => `records/${stem}.json`,
  recordsPrefix: 'records/',
  manifest: 'manifest.json',
  success: '_SUCCESS',
} as const;

export interface BookInput {
  store: BlobStore;
  /** Part keys under the store's root, sorted. */
  parts: string[];
}

export function formatOf(part: string): PartFormat {
  const lower = part.toLowerCase();
  if (lower.endsWith('.parquet')) return 'parquet';
  if (lower.endsWith('.csv')) return 'csv';
  throw new BookInputError(`${part}: not a Parquet or CSV file (the name must end in .parquet or .csv)`);
}

/** A part's name in the output: its key with folders flattened and the extension dropped. */
export const stemOf = (part: string) => part.replace(/\.(parquet|csv)$/i, '').replace(/\//g, '__');

const isMarker = (key: string) => key.split('/').some((segment) => segment.startsWith('_') || segment.startsWith('.'));

/** The parts of --in: a file (local or s3://bucket/key.parquet), or everything under a folder or prefix. */
export async function openBookInput(location: string): Promise<BookInput> {
  const single = /\.(parquet|csv)$/i.test(location);
  if (location.startsWith('s3://')) {
    if (single) {
      const cut = location.lastIndexOf('/');
      return { store: await createBlobStore(location.slice(0, cut)), parts: [location.slice(cut + 1)] };
    }
    return listed(await createBlobStore(location.replace(/\/$/, '')));
  }
  const info = await stat(location).catch(() => null);
  if (!info) throw new BookInputError(`${location}: no such file or folder`);
  if (info.isDirectory()) return listed(await createBlobStore(location));
  formatOf(location);
  return { store: await createBlobStore(path.dirname(path.resolve(location))), parts: [path.basename(location)] };
}

async function listed(store: BlobStore): Promise<BookInput> {
  const parts = (await store.list('')).filter((key) => !isMarker(key));
  if (parts.length === 0) throw new BookInputError(`${store.location}: holds no parts`);
  for (const part of parts) formatOf(part);
  return { store, parts };
}
