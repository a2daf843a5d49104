import { gunzipSync } from 'node:zlib';
import { PredictionRecord } from './prediction-record.js';

/** The records of one prediction-log file (gzip JSON lines), in order. */
export function recordsInFile(gzipped: Buffer): PredictionRecord[] {
  const records: PredictionRecord[] = [];
  for (const line of gunzipSync(gzipped).toString('utf8').split('\n'))
    if (line) records.push(JSON.parse(line) as PredictionRecord);
  return records;
}
