import { encodeChunk } from '../../service/src/capture/chunk-json.js';
import { ChunkWriter } from '../../service/src/capture/chunk-writer.js';
import { joinParts } from '../../service/src/capture/gzip-members.js';
import type { AnsweredPrediction, RecordGroup } from '../../service/src/capture/record-layout.js';
import type { LoanApplication } from '../../service/src/contract/loan-application.contract.js';
import type { BlobStore } from '../../service/src/storage/blob-store.js';

/** Records per chunk, as the service seals them. */
const CHUNK_ROWS = 1000;

/**
 * Writes answered applications as the service's prediction log does (the service's own chunk writer and encoder:
 * gzip JSON lines under dt= partitions), one file per partition named `part-<name>.jsonl.gz`. For jobs that make a
 * log without a running service: the loop's benchmark and the simulated year.
 */
export async function writePredictionLog(
  root: BlobStore,
  name: string,
  applications: readonly LoanApplication[],
  answers: readonly AnsweredPrediction[],
  groupOf: (row: number) => RecordGroup,
): Promise<void> {
  const parts = [];
  for (let from = 0; from < answers.length; from += CHUNK_ROWS) {
    const n = Math.min(CHUNK_ROWS, answers.length - from);
    const writer = new ChunkWriter(n);
    // Consecutive rows given the same group object are one request's records.
    for (let i = from; i < from + n;) {
      const group = groupOf(i);
      let end = i + 1;
      while (end < from + n && groupOf(end) === group) end++;
      writer.append(applications, answers, i, end - i, group);
      i = end;
    }
    parts.push(encodeChunk(writer.take()));
  }
  for (const part of joinParts(parts))
    await root.put(`predictions/${part.partition}/part-${name}.jsonl.gz`, Buffer.from(part.body));
}
