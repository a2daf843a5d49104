import { fork } from 'node:child_process';
import { stepLog } from './step-log.js';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import winston from 'winston';
import type { ModelStore } from '../../service/src/model/model-store.js';
import type { BlobStore } from '../../service/src/storage/blob-store.js';
import type { Backtest } from '../backtesting/backtest.js';
import { publishCalibrationMetrics } from '../backtesting/calibration-metrics.js';
import { backtestDecisions } from '../backtesting/run-backtest.js';
import { compact } from '../tables/compaction.js';
import { openEngine, withEngine } from '../tables/engine.js';
import { LocalFiles } from '../tables/local-files.js';
import { joinOutcomes, MATCHED } from '../tables/outcome-join.js';
import {
  MATCHED_AS_PART_ROWS,
  partKey,
  SNAPSHOTS,
  startingParts,
  writePart,
  writeSnapshotManifest,
} from '../tables/snapshots.js';
import { TrainingFrame, TrainingFrameOptions, writeTrainingFrame } from '../tables/training-frame.js';
import type { RetrainReport } from './report.js';

/**
 * The monthly job's table work, up to the training frame: the log compacted, the outcomes joined, production
 * backtested on them, the new snapshot written, and the frame chosen from it. It runs in a process of its own,
 * which exits before Python trains: the engine's memory (measured: 300 MB still held by the job after the engine
 * closed, on a 4-million-record history) is then the system's again, not added to Python's.
 */
export interface SnapshotStepInput {
  name: string;
  channel: string;
  /** Files in the job's work directory: the month's outcomes, and a first --base file when given. */
  outcomesFile: string;
  outcomesName: string;
  baseFile?: string;
  trainingFrame: TrainingFrameOptions;
  snapshotId: string;
  /** ISO time the run counts as now (compaction's open day, the snapshot's creation). */
  now: string;
  /** Where the engine works, and where the frame's CSV goes. */
  workDir: string;
  frameFile: string;
}

export interface SnapshotStepResult {
  join: NonNullable<RetrainReport['join']>;
  snapshot: NonNullable<RetrainReport['snapshot']>;
  snapshotUri: string;
  training_frame: TrainingFrame;
  production_backtest: { version: string; backtest: Backtest } | null;
  local_disk_peak_bytes: number;
}

/**
 * The engine's memory limit in the monthly job (MB). DuckDB's resident memory runs well past its limit (measured on
 * the join of 417,000 outcomes with a 10-million-record history: 863 MB resident with a 384 MB limit, 601 MB with
 * 256 MB); at 192 MB that join ran out of memory.
 */
const ENGINE_MEMORY_MB = 256;

/** The fewest labelled applications a first snapshot may start from without a --base file. */
export const MIN_FIRST_SNAPSHOT_ROWS = 1_000;

export async function buildSnapshot(
  input: SnapshotStepInput,
  { dataRoot, store, logger }: { dataRoot: BlobStore; store: ModelStore; logger: winston.Logger },
): Promise<SnapshotStepResult> {
  const step = stepLog(logger);
  const now = new Date(input.now);
  // The log compacted first (today's files too: they may have outcomes in tests and late runs), in an engine of
  // its own that is gone before the join opens the next.
  const compaction = await withEngine('compact', (e) => compact(dataRoot, e, { asOf: now, includeOpenDay: true }), {
    memoryLimitMb: ENGINE_MEMORY_MB,
  });
  step('log compacted', { files: compaction.files, rows: compaction.rows_written });
  const engine = await openEngine({ workDir: path.join(input.workDir, 'engine'), memoryLimitMb: ENGINE_MEMORY_MB });
  try {
    const local = new LocalFiles(dataRoot, engine.workDir);
    const base = input.baseFile ? await readFile(input.baseFile) : undefined;

    // 1. Where the new snapshot starts: the parent's parts (a parent of one CSV file, or a first --base file,
    // becomes a Parquet part of this snapshot once).
    const {
      parent,
      parts: parentParts,
      converted,
    } = await startingParts(dataRoot, engine, local, {
      snapshotId: input.snapshotId,
      base,
    });
    step('snapshot started', { parent: parent?.manifest.id ?? null, parts: parentParts.length });

    // 2. New labelled rows: the compacted log joined with the month's outcomes in the engine, so memory and disk
    // follow the month's outcomes, not the history.
    const join = await joinOutcomes(dataRoot, engine, await readFile(input.outcomesFile), {
      knownParts: parentParts.map((p) => p.file),
      files: local,
    });
    if (!parent && !base && join.counts.matched < MIN_FIRST_SNAPSHOT_ROWS) {
      throw new Error(
        `no snapshot in ${dataRoot.location}/${SNAPSHOTS}, no --base file, and ${join.counts.matched} new labelled applications: ` +
          `a first snapshot from this month's outcomes alone needs at least ${MIN_FIRST_SNAPSHOT_ROWS}`,
      );
    }
    const joinReport: SnapshotStepResult['join'] = {
      outcomes: join.counts.rows,
      matched: join.counts.matched,
      unmatched: join.counts.unmatched,
      duplicate: join.counts.duplicate,
      already_known: join.counts.already_known,
      invalid: join.counts.invalid,
      invalid_examples: join.examples,
      prediction_files: compaction.files,
      compaction,
      local_table_bytes: join.local_bytes,
    };
    step('outcomes joined', joinReport);

    // Production judged on the month's matured outcomes, by the probabilities it gave: the version that decided
    // most of those applications (the log says which; a promotion since then does not change who decided).
    let productionBacktest: SnapshotStepResult['production_backtest'] = null;
    const [decider] = (
      await engine.connection.runAndReadAll(
        `SELECT model_version AS v FROM ${MATCHED} GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1`,
      )
    ).getRowObjects();
    if (decider && (await store.listVersions(input.name)).includes(String(decider.v))) {
      const version = String(decider.v);
      const { test } = await backtestDecisions(engine, store, input.name, version);
      productionBacktest = { version, backtest: test };
      await publishCalibrationMetrics(version, test);
    }

    // 3. The new snapshot: the parent's parts and this month's, immutable; its manifest written last.
    const newPart =
      join.counts.matched > 0
        ? await writePart(dataRoot, engine, MATCHED_AS_PART_ROWS(MATCHED), partKey(input.snapshotId, 'new'))
        : null;
    const snapshot = await writeSnapshotManifest(dataRoot, {
      id: input.snapshotId,
      created_at: now.toISOString(),
      parent: parent?.manifest.id ?? null,
      new_rows: join.counts.matched,
      parts: [...parentParts, ...(newPart ? [newPart] : [])],
      sources: {
        outcomes_file: input.outcomesName,
        prediction_files: compaction.files,
        base: parent ? null : base ? 'initial file' : 'none: the first month of outcomes alone',
        converted,
      },
    });
    const snapshotReport: SnapshotStepResult['snapshot'] = {
      id: snapshot.id,
      parent: snapshot.parent,
      rows: snapshot.rows,
      new_rows: snapshot.new_rows,
      parts: snapshot.parts.length,
      sha256: newPart?.sha256 ?? null,
    };
    step('snapshot written', snapshotReport);

    // 4. The training frame: the snapshot's recent months, capped.
    const trainingFrame = await writeTrainingFrame(engine, local, snapshot.parts, input.frameFile, input.trainingFrame);
    step('training frame chosen', trainingFrame);
    return {
      join: joinReport,
      snapshot: snapshotReport,
      snapshotUri: `${dataRoot.location}/${SNAPSHOTS}${snapshot.id}/manifest.json`,
      training_frame: trainingFrame,
      production_backtest: productionBacktest,
      local_disk_peak_bytes: local.peakBytes,
    };
  } finally {
    engine.close();
  }
}

const CHILD_ENTRY = path.join(path.dirname(fileURLToPath(import.meta.url)), 'snapshot-step-process.ts');

/**
 * Runs buildSnapshot in a child process (the same Node and TypeScript loader as this one) over the stores at the
 * same locations, and hands back its result or its error.
 */
export function buildSnapshotInChild(
  input: SnapshotStepInput,
  locations: { dataRoot: string; store: string; logLevel: string },
): Promise<SnapshotStepResult> {
  return new Promise((resolve, reject) => {
    const child = fork(CHILD_ENTRY, [], { execArgv: process.execArgv, serialization: 'advanced', stdio: 'inherit' });
    let settled = false;
    child.on('message', (message: { result?: SnapshotStepResult; error?: string }) => {
      settled = true;
      if (message.error !== undefined) reject(new Error(message.error));
      else resolve(message.result!);
    });
    child.on('error', (error) => {
      if (!settled) reject(error);
      settled = true;
    });
    child.on('exit', (code, signal) => {
      if (!settled)
        reject(new Error(`the snapshot step's process ended (${signal ?? `exit code ${code}`}) without a result`));
      settled = true;
    });
    child.send({ input, locations });
  });
}
