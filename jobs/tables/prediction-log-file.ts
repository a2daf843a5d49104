import { constants, gunzipSync } from 'node:zlib';
import { ENUM_RULES, INPUT_FIELDS, NUMBER_RULES } from '../../service/src/contract/loan-application.contract.js';
import type { PredictionRecord } from '../../service/src/capture/prediction-record.js';

/** Why a line of the prediction log was not used. */
export type LogRejection = 'malformed_line' | 'missing_fields' | 'truncated_line';

export interface LogFileRead {
  /** Lines that are whole records, in order, as written (the JSON text itself, to hand on without re-encoding). */
  lines: string[];
  /** Lines without an application_id: valid, but nothing can be joined to them. */
  withoutApplicationId: number;
  rejected: Record<LogRejection, number>;
  /** The gzip stream ended early (a process killed mid-write): its whole lines were kept. */
  truncated: boolean;
  /** The first few problems, by line number. */
  examples: string[];
}

const MAX_EXAMPLES = 5;

/** True when a parsed line has every field a record must have, with the types the log writes. */
function isRecord(value: unknown): value is PredictionRecord {
  const r = value as Partial<PredictionRecord> | null;
  if (!r || typeof r !== 'object' || typeof r.prediction_id !== 'string') return false;
  if (!(r.application_id === null || typeof r.application_id === 'string')) return false;
  if (typeof r.probability_of_default !== 'number' || typeof r.threshold !== 'number') return false;
  if (r.decision !== 'approve' && r.decision !== 'decline' && r.decision !== 'refer') return false;
  if (r.policy_version !== undefined && typeof r.policy_version !== 'string') return false;
  if (r.rules_fired !== undefined && !Array.isArray(r.rules_fired)) return false;
  if (r.rating_grade !== undefined && typeof r.rating_grade !== 'string') return false;
  if (typeof r.model_version !== 'string' || typeof r.timestamp !== 'string' || Number.isNaN(Date.parse(r.timestamp)))
    return false;
  const inputs = r.inputs as unknown as Record<string, unknown> | undefined;
  if (!inputs || typeof inputs !== 'object') return false;
  return INPUT_FIELDS.every((field) =>
    field in NUMBER_RULES
      ? typeof inputs[field] === 'number'
      : field in ENUM_RULES
        ? (ENUM_RULES[field as keyof typeof ENUM_RULES] as readonly unknown[]).includes(inputs[field])
        : typeof inputs[field] === 'string',
  );
}

/**
 * One file of the prediction log (gzip JSON lines, possibly several gzip members), read whole and checked line
 * by line. A file cut short keeps its whole lines; a line that is not JSON, or a record missing a field, is
 * counted by kind with its line number among the examples, and the rest goes through.
 */
export function readLogFile(key: string, gzipped: Buffer): LogFileRead {
  let text: string;
  let truncated = false;
  try {
    text = gunzipSync(gzipped).toString('utf8');
  } catch {
    // Z_SYNC_FLUSH hands back what was decompressed before the stream broke off.
    truncated = true;
    text = gunzipSync(gzipped, { finishFlush: constants.Z_SYNC_FLUSH }).toString('utf8');
  }
  const read: LogFileRead = {
    lines: [],
    withoutApplicationId: 0,
    rejected: { malformed_line: 0, missing_fields: 0, truncated_line: 0 },
    truncated,
    examples: [],
  };
  const note = (kind: LogRejection, line: number) => {
    read.rejected[kind]++;
    if (read.examples.length < MAX_EXAMPLES) read.examples.push(`${key} line ${line}: ${kind}`);
  };
  const lines = text.split('\n');
  // A whole file ends with a newline, so its last piece is empty; anything else there was cut mid-line.
  const last = lines.pop()!;
  if (last !== '') note('truncated_line', lines.length + 1);
  lines.forEach((line, i) => {
    if (line === '') return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      return note('malformed_line', i + 1);
    }
    if (!isRecord(parsed)) return note('missing_fields', i + 1);
    if (parsed.application_id === null) read.withoutApplicationId++;
    else read.lines.push(line);
  });
  return read;
}
