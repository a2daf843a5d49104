import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { LoadedModel } from '../../service/src/model/loaded-model.js';
import type { ServingPolicy } from '../../service/src/policy/credit-policy.js';
import { sha256 as sha256Of } from '../../service/src/model/sha256.js';
import { isMissing, type BlobStore } from '../../service/src/storage/blob-store.js';
import { fileSha256, LocalFiles } from '../tables/local-files.js';
import { formatOf, OUTPUT, stemOf } from './book-layout.js';
import { PartCounts, ReasonsOption, scorePart } from './score-part.js';

/** The options a part's output depends on: a record made under others is not reused. */
export interface BookOptions {
  key: string;
  reasons: ReasonsOption;
}

/** What was done to one input part: written to records/<part>.json once its output is in place. */
export interface PartRecord extends PartCounts {
  part: string;
  input: { identity: string; sha256: string; bytes: number };
  output: { key: string; sha256: string; bytes: number };
  rejects: { key: string; rows: number };
  model_version: string;
  policy_version: string;
  options: BookOptions;
  seconds: number;
  /** The peak resident memory of the process that scored it, so far (a worker scores parts one after another). */
  worker_peak_rss_mb: number;
  /** True when this run found the part complete and did not score it again. */
  skipped?: boolean;
}

/** The part's record when its output is complete for this input, model, policy and options; else null. */
async function completeRecord(
  input: BlobStore,
  output: BlobStore,
  part: string,
  model: LoadedModel,
  policy: ServingPolicy,
  options: BookOptions,
): Promise<PartRecord | null> {
  let record: PartRecord;
  try {
    record = JSON.parse((await output.get(OUTPUT.record(stemOf(part)))).toString('utf8')) as PartRecord;
  } catch (error) {
    if (isMissing(error) || error instanceof SyntaxError) return null;
    throw error;
  }
  const same =
    record.part === part &&
    record.input.identity === (await input.stat(part)) &&
    record.model_version === model.version &&
    record.policy_version === policy.policy_version &&
    record.options.key === options.key &&
    record.options.reasons === options.reasons;
  return same && (await output.exists(record.output.key)) ? record : null;
}

/**
 * Scores one input part into the output, or skips it when a complete output for the same input, model, policy and
 * options is already there. The order makes a killed run safe to start again: the scored rows and rejects are put whole
 * (replacing any left by a killed attempt), and the record last; a part without a record is scored again, so
 * every row lands once.
 */
export async function runPart(
  input: BlobStore,
  output: BlobStore,
  part: string,
  model: LoadedModel,
  policy: ServingPolicy,
  options: BookOptions,
): Promise<PartRecord> {
  const done = await completeRecord(input, output, part, model, policy, options);
  if (done) return { ...done, skipped: true };
  const started = Date.now();
  const stem = stemOf(part);
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'score-book-'));
  try {
    const identity = (await input.stat(part)) ?? '';
    const file = await new LocalFiles(input, workDir).pathOf(part);
    const [sha256, bytes] = [await fileSha256(file), (await stat(file)).size];
    const job = {
      part,
      file,
      format: formatOf(part),
      key: options.key,
      reasons: options.reasons,
      outFile: path.join(workDir, 'scored.parquet'),
      rejectsFile: path.join(workDir, 'rejects.jsonl'),
      workDir: path.join(workDir, 'engine'),
    };
    const counts = await scorePart(model, policy, job);
    const scored = await readFile(job.outFile);
    await output.put(OUTPUT.rejects(stem), await readFile(job.rejectsFile), { contentType: 'application/x-ndjson' });
    await output.put(OUTPUT.part(stem), scored, { contentType: 'application/vnd.apache.parquet' });
    const record: PartRecord = {
      part,
      ...counts,
      input: { identity, sha256, bytes },
      output: {
        key: OUTPUT.part(stem),
        sha256: sha256Of(scored),
        bytes: scored.length,
      },
      rejects: { key: OUTPUT.rejects(stem), rows: counts.rejected },
      model_version: model.version,
      policy_version: policy.policy_version,
      options,
      seconds: (Date.now() - started) / 1000,
      worker_peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
    };
    await output.put(OUTPUT.record(stem), Buffer.from(JSON.stringify(record, null, 2) + '\n'), {
      contentType: 'application/json',
    });
    return record;
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}
