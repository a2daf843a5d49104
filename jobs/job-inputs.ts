import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from '../scripts/lib/cli.js';
import { createBlobStore } from '../service/src/storage/create-blob-store.js';
import { DEFAULT_GATE_LIMITS } from './promotion-gate/gate.js';

/** A --option that must be a number from 0 to 1. */
export function fraction(values: Record<string, unknown>, name: string): number {
  const value = Number(values[name]);
  if (!(value >= 0 && value <= 1))
    throw new UsageError(`--${name} must be a number from 0 to 1, got '${values[name]}'`);
  return value;
}

/** A file named on the command line: a local path, or s3://bucket/key. */
export function readInput(location: string): Promise<Buffer> {
  return location.startsWith('s3://')
    ? createBlobStore(path.posix.dirname(location)).then((store) => store.get(path.posix.basename(location)))
    : readFile(path.resolve(location));
}

/**
 * The options every job that judges a model shares: where things are, and the gate (ROC-AUC floor, largest drop,
 * four-fifths, calibration).
 */
export const GATE_OPTIONS = {
  store: { type: 'string', default: process.env.MODEL_STORE },
  'data-root': { type: 'string', default: process.env.DATA_ROOT },
  outcomes: { type: 'string' },
  'min-auc': { type: 'string', default: String(DEFAULT_GATE_LIMITS.minAuc) },
  'max-drop': { type: 'string', default: String(DEFAULT_GATE_LIMITS.maxDrop) },
  'min-air': { type: 'string', default: String(DEFAULT_GATE_LIMITS.minAir) },
  'max-ece': { type: 'string', default: String(DEFAULT_GATE_LIMITS.maxEce) },
  name: { type: 'string', default: 'loan-default' },
} as const;
