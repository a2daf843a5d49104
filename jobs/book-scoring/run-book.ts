import { fork } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type winston from 'winston';
import type { LoadedModel } from '../../service/src/model/loaded-model.js';
import type { ServingPolicy } from '../../service/src/policy/credit-policy.js';
import type { BlobStore } from '../../service/src/storage/blob-store.js';
import { createBlobStore } from '../../service/src/storage/create-blob-store.js';
import { BookInputError } from './book-contract.js';
import { openBookInput, OUTPUT, stemOf } from './book-layout.js';
import { BookOptions, PartRecord, runPart } from './book-part-step.js';
import { loadScoringModel, ModelChoice, pinModel } from './scoring-model.js';
import { loadScoringPolicy, PolicyChoice } from './scoring-policy.js';

export interface BookRun {
  /** A file, a folder or an S3 prefix of parts. */
  input: string;
  /** A folder or an S3 prefix. */
  output: string;
  model: ModelChoice;
  /** The credit policy that decides (the store's policy channel by default, as the service follows it). */
  policy: PolicyChoice;
  options: BookOptions;
  /** Local worker processes (1: score in this process). */
  workers: number;
  /** The share of rejected rows past which the run fails (its manifest says so; no success marker). */
  maxRejectRate: number;
  /** Score only this part of the input (a Step Functions map item), without a manifest. */
  part?: string;
  /** --in must name exactly one part, scored alone without a manifest (a map item: never the whole book). */
  singlePart?: boolean;
  /** Only write the manifest and the success marker from the parts' records (after a fan-out). */
  finalize?: boolean;
  logger: winston.Logger;
}

export interface BookManifest {
  status: 'complete' | 'failed';
  reason?: string;
  finished_at: string;
  model: { name: string; version: string; onnx_sha256: string; threshold: number };
  /** The credit policy that decided every row, and each of its knock-outs' code and words (a reason code's). */
  policy: { version: string; knock_outs: { code: string; field: string; text: string }[] };
  /** What each model reason code in the output says (the version's catalogue), when reasons were asked for. */
  reason_catalogue?: unknown[];
  input: string;
  output: string;
  options: BookOptions & { max_reject_rate: number };
  rows: number;
  scored: number;
  rejected: number;
  /** Scored rows the policy declines. */
  declined: number;
  /** Scored rows the policy refers to a person. */
  referred: number;
  reject_rate: number;
  rejected_by_field: Record<string, number>;
  parts: (Omit<PartRecord, 'options' | 'model_version' | 'policy_version' | 'rejected_by_field'> & {
    skipped: boolean;
  })[];
}

/** Exit code of a run whose rows broke the contract past --max-reject-rate. */
export class RejectRateError extends Error {
  override readonly name = 'RejectRateError';
}

const WORKER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'book-worker-process.ts');

/** Scores the parts over `count` worker processes, each taking the next part as it finishes one. */
function scoreInWorkers(run: BookRun, parts: string[], inputLocation: string, onRecord: (r: PartRecord) => void) {
  const queue = [...parts];
  const children: ReturnType<typeof fork>[] = [];
  const worker = () =>
    new Promise<void>((resolve, reject) => {
      const child = fork(WORKER, [], { execArgv: process.execArgv, serialization: 'advanced', stdio: 'inherit' });
      children.push(child);
      let current: string | null = null;
      const next = () => {
        current = queue.shift() ?? null;
        child.send({ part: current });
        if (current === null) resolve();
      };
      child.on('message', (m: { ready?: true; record?: PartRecord; error?: { name: string; message: string } }) => {
        if (m.error) {
          const error =
            m.error.name === 'BookInputError' ? new BookInputError(m.error.message) : new Error(m.error.message);
          reject(error);
        } else {
          if (m.record) onRecord(m.record);
          next();
        }
      });
      child.on('exit', (code, signal) => {
        if (current !== null)
          reject(new Error(`a worker ended (${signal ?? `exit code ${code}`}) while scoring ${current}`));
      });
      child.send({
        model: run.model,
        policy: run.policy,
        input: inputLocation,
        output: run.output,
        options: run.options,
      });
    });
  return Promise.all(Array.from({ length: Math.min(run.workers, parts.length) }, worker)).catch((error: Error) => {
    for (const child of children) child.kill();
    throw error;
  });
}

/**
 * The run's policy and model. The policy first: cheap, and one that fails verification stops the step before a
 * model is loaded. The caller releases the model.
 */
async function loadDeciders(run: BookRun): Promise<{ policy: ServingPolicy; model: LoadedModel }> {
  const policy = await loadScoringPolicy(run.policy);
  return { policy, model: await loadScoringModel(run.model) };
}

/**
 * The run's manifest from every part's record; the success marker only when every part is there and the rejects
 * are few.
 */
async function finalize(run: BookRun, output: BlobStore, parts: string[], skipped: Set<string>): Promise<BookManifest> {
  const { policy, model } = await loadDeciders(run);
  try {
    const records: PartRecord[] = [];
    for (const part of parts) {
      const key = OUTPUT.record(stemOf(part));
      if (!(await output.exists(key)))
        throw new Error(`${part} has no record at ${output.location}/${key}: it was not scored`);
      const record = JSON.parse((await output.get(key)).toString('utf8')) as PartRecord;
      if (record.model_version !== model.version)
        throw new Error(`${part} was scored by ${record.model_version}, not ${model.version}: run it again`);
      if (record.policy_version !== policy.policy_version)
        throw new Error(
          `${part} was decided by policy ${record.policy_version}, not ${policy.policy_version}: run it again`,
        );
      if (record.rows !== record.scored + record.rejected)
        throw new Error(
          `${part}: ${record.rows} rows read but ${record.scored} scored and ${record.rejected} rejected`,
        );
      records.push(record);
    }
    const sum = (pick: (r: PartRecord) => number) => records.reduce((total, r) => total + pick(r), 0);
    const [rows, scored, rejected] = [sum((r) => r.rows), sum((r) => r.scored), sum((r) => r.rejected)];
    const [declined, referred] = [sum((r) => r.declined), sum((r) => r.referred)];
    const rejectedByField: Record<string, number> = {};
    for (const r of records)
      for (const [field, n] of Object.entries(r.rejected_by_field))
        rejectedByField[field] = (rejectedByField[field] ?? 0) + n;
    const rejectRate = rows ? rejected / rows : 0;
    const failed = rejectRate > run.maxRejectRate;
    const manifest: BookManifest = {
      status: failed ? 'failed' : 'complete',
      ...(failed
        ? {
            reason: `${rejected} of ${rows} rows (${(100 * rejectRate).toFixed(2)}%) broke the data contract, more than --max-reject-rate ${run.maxRejectRate}`,
          }
        : {}),
      finished_at: new Date().toISOString(),
      model: {
        name: run.model.name,
        version: model.version,
        onnx_sha256: model.manifest.onnx.sha256,
        threshold: model.threshold,
      },
      policy: {
        version: policy.policy_version,
        knock_outs: policy.knock_outs.map(({ code, field, text }) => ({ code, field, text })),
      },
      ...(run.options.reasons !== 'none' ? { reason_catalogue: model.manifest.explanation?.reasons ?? [] } : {}),
      input: run.input,
      output: run.output,
      options: { ...run.options, max_reject_rate: run.maxRejectRate },
      rows,
      scored,
      rejected,
      declined,
      referred,
      reject_rate: rejectRate,
      rejected_by_field: rejectedByField,
      parts: records.map(
        ({ options: _o, model_version: _m, policy_version: _p, rejected_by_field: _r, skipped: _s, ...rest }) => ({
          ...rest,
          skipped: skipped.has(rest.part),
        }),
      ),
    };
    await output.put(OUTPUT.manifest, Buffer.from(JSON.stringify(manifest, null, 2) + '\n'), {
      contentType: 'application/json',
    });
    if (failed) throw new RejectRateError(manifest.reason);
    await output.put(OUTPUT.success, Buffer.from(''), { contentType: 'text/plain' });
    return manifest;
  } finally {
    await model.release();
  }
}

/**
 * Scores a book: every part of the input not already complete in the output, locally over worker processes (or
 * one part, as a Step Functions map item runs it), then the manifest and the success marker, written last.
 */
export async function runBook(run: BookRun): Promise<BookManifest | PartRecord> {
  const input = await openBookInput(run.input);
  const output = await createBlobStore(run.output);
  const log = (record: PartRecord) =>
    run.logger.info(record.skipped ? 'part already scored' : 'part scored', {
      part: record.part,
      rows: record.rows,
      scored: record.scored,
      rejected: record.rejected,
      seconds: record.seconds,
    });
  if (run.singlePart) {
    if (input.parts.length !== 1 || !/\.(parquet|csv)$/i.test(run.input))
      throw new BookInputError(`${run.input}: --single-part needs --in to name one .parquet or .csv part`);
    run = { ...run, part: input.parts[0] };
  }
  if (run.part !== undefined) {
    if (!input.parts.includes(run.part)) throw new BookInputError(`${run.part}: not a part of ${run.input}`);
    const { policy, model } = await loadDeciders(run);
    try {
      const record = await runPart(input.store, output, run.part, model, policy, run.options);
      log(record);
      return record;
    } finally {
      await model.release();
    }
  }
  const skipped = new Set<string>();
  if (!run.finalize) {
    // Every part of a local run is decided by one model version and one policy version, read once here: a
    // promotion while it runs does not split the book (the finalize step still checks every part's record).
    const policy = await loadScoringPolicy(run.policy);
    run = { ...run, model: await pinModel(run.model), policy: { ...run.policy, version: policy.policy_version } };
    const onRecord = (record: PartRecord) => {
      if (record.skipped) skipped.add(record.part);
      log(record);
    };
    if (run.workers <= 1) {
      const model = await loadScoringModel(run.model);
      try {
        for (const part of input.parts) onRecord(await runPart(input.store, output, part, model, policy, run.options));
      } finally {
        await model.release();
      }
    } else {
      await scoreInWorkers(run, input.parts, input.store.location, onRecord);
    }
  }
  return finalize(run, output, input.parts, skipped);
}
