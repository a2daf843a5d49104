import { createHash } from 'node:crypto';
import { BlobStore } from '../../service/src/storage/blob-store.js';

/**
 * The data root (a directory or s3://bucket): predictions/ as the service writes it, snapshots/<id>/ with
 * data.csv and manifest.json (immutable), retraining/<run>/ with the decision reports.
 */
export const SNAPSHOTS = 'snapshots/';
export const RETRAINING = 'retraining/';

export interface SnapshotManifest {
  id: string;
  created_at: string;
  parent: string | null;
  data: { file: string; sha256: string; rows: number; new_rows: number };
  sources: Record<string, unknown>;
}

export const sha256Hex = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex');

export async function latestSnapshot(root: BlobStore): Promise<SnapshotManifest | null> {
  const manifests = (await root.list(SNAPSHOTS)).filter((k) => k.endsWith('/manifest.json')).sort();
  if (manifests.length === 0) return null;
  return JSON.parse((await root.get(manifests[manifests.length - 1])).toString('utf8')) as SnapshotManifest;
}

/** Writes a snapshot: the data first, the manifest last (its presence makes the snapshot exist). */
export async function writeSnapshot(
  root: BlobStore,
  manifest: Omit<SnapshotManifest, 'data'>,
  csv: string,
  rows: number,
  newRows: number,
): Promise<SnapshotManifest> {
  const data = Buffer.from(csv);
  const file = `${SNAPSHOTS}${manifest.id}/data.csv`;
  const full: SnapshotManifest = { ...manifest, data: { file, sha256: sha256Hex(data), rows, new_rows: newRows } };
  await root.put(file, data, { ifAbsent: true, contentType: 'text/csv' });
  await root.put(`${SNAPSHOTS}${manifest.id}/manifest.json`, Buffer.from(JSON.stringify(full, null, 2) + '\n'), {
    ifAbsent: true,
    contentType: 'application/json',
  });
  return full;
}

/** Sorts by time; the suffix tells two ids of the same second apart. */
export function timeId(now: Date, salt: string): string {
  return `${now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')}-${sha256Hex(salt).slice(0, 7)}`;
}
