import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import winston from 'winston';
import { LoadedModel } from '../../service/src/model/loaded-model.js';
import { loadVersion } from '../../service/src/model/load-version.js';
import { verifyArtifactFiles } from '../../service/src/model/verify-artifact.js';
import { ModelManifest } from '../../service/src/model/manifest.js';
import { ModelStore } from '../../service/src/model/model-store.js';
import { promote, publishVerified, readArtifactDir, setChallenger } from '../../service/src/model/channels.js';
import { BlobStore } from '../../service/src/storage/blob-store.js';
import { RETRAINING, timeId } from './data-root.js';
import { compact } from '../tables/compaction.js';
import { Engine, openEngine } from '../tables/engine.js';
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
import { DEFAULT_TRAINING_FRAME, TrainingFrameOptions, writeTrainingFrame } from '../tables/training-frame.js';
import { renderReportHtml, RetrainReport } from './report.js';
import { rocAuc } from './roc-auc.js';
import { countApprovals, FairnessTable, fairnessTable } from '../../service/src/monitoring/fairness.js';
import { DEFAULT_GATE_LIMITS, judgePromotion, MIN_AIR_GROUP } from '../promotion-gate/gate.js';
import { parseCsv, toApplication } from './data-rows.js';

export interface RetrainOptions {
  store: ModelStore;
  dataRoot: BlobStore;
  outcomes: Buffer;
  outcomesName: string;
  /** The first snapshot's rows, when the data root has none yet. */
  base?: Buffer;
  /** Which of the snapshot's rows the candidate trains on (default: 24 months, at most 500,000 rows). */
  trainingFrame?: TrainingFrameOptions;
  name: string;
  channel: string;
  minAuc: number;
  maxDrop: number;
  /** The lowest adverse impact ratio allowed for any protected group of at least MIN_AIR_GROUP holdout applications. */
  minAir?: number;
  /** Where a candidate that passes goes: production (the default), or the shadow channel to be watched first. */
  stage?: 'production' | 'shadow';
  /** Trains on a CSV into a directory (model.onnx, manifest.json) and writes the holdout rows it scored. */
  train: (dataFile: string, outDir: string, holdoutFile: string, data: TrainingData) => Promise<void>;
  logger: winston.Logger;
  now?: () => Date;
}

export const TIME_COLUMN = 'observed_at';

/** What the model's manifest records of its training data: the snapshot, and how the frame was chosen from it. */
export interface TrainingData {
  uri: string;
  frame: Record<string, unknown>;
}

/** Rows scored per call: the holdout's tensors and answers stay small however large the frame. */
const SCORE_SLICE = 10_000;

/** The model's probabilities on the holdout rows, scored a slice at a time. */
async function scoreHoldout(model: LoadedModel, rows: Record<string, string>[]): Promise<Float32Array> {
  const scores = new Float32Array(rows.length);
  for (let from = 0; from < rows.length; from += SCORE_SLICE)
    scores.set(await model.score(rows.slice(from, from + SCORE_SLICE).map(toApplication)), from);
  return scores;
}

const holdoutAuc = (rows: Record<string, string>[], scores: Float32Array) =>
  rocAuc(
    rows.map((r) => (r.loan_paid_back === '0' ? 1 : 0)),
    Array.from(scores),
  );

/** The candidate's decisions on the holdout, by protected group (the same figures /monitoring/fairness gives live). */
function holdoutFairness(model: LoadedModel, rows: Record<string, string>[], scores: Float32Array): FairnessTable {
  return fairnessTable(
    countApprovals(rows.map(toApplication), (i) => scores[i] < model.threshold),
    MIN_AIR_GROUP,
  );
}

/** The fewest labelled applications a first snapshot may start from without a --base file. */
export const MIN_FIRST_SNAPSHOT_ROWS = 1_000;

/**
 * One retraining round: join captured predictions with observed outcomes, append them to the latest
 * snapshot as a new immutable snapshot, train a candidate (holdout: the most recent 20% by observed_at),
 * score candidate and production on that same recent slice with ONNX Runtime, and promote the candidate
 * only if its ROC-AUC >= minAuc and >= production's - maxDrop. The decision is written as a report.
 */
export async function retrain(options: RetrainOptions): Promise<RetrainReport> {
  const now = options.now ?? (() => new Date());
  const started = now();
  const { logger, dataRoot, store } = options;
  const report: RetrainReport = {
    run_id: timeId(started, `${Math.random()}`),
    status: 'failed',
    reasons: [],
    started_at: started.toISOString(),
    finished_at: '',
    thresholds: {
      min_auc: options.minAuc,
      max_drop: options.maxDrop,
      min_air: options.minAir ?? DEFAULT_GATE_LIMITS.minAir,
    },
    snapshot: null,
    join: null,
    evaluation: null,
    training_frame: null,
    candidate: null,
    production: null,
    promoted_version: null,
    stage: options.stage ?? 'production',
  };
  const work = await mkdtemp(path.join(os.tmpdir(), 'retrain-'));
  let engine: Engine | undefined;
  try {
    // 384 MB for the engine: with the job's Node heap it stays under Python's training peak, which comes after.
    engine = await openEngine({ workDir: path.join(work, 'engine'), memoryLimitMb: 384 });
    const local = new LocalFiles(dataRoot, engine.workDir);
    const snapshotId = timeId(started, report.run_id);

    // 1. Where the new snapshot starts: the parent's parts (a parent of one CSV file, or a first --base file,
    // becomes a Parquet part of this snapshot once).
    const {
      parent,
      parts: parentParts,
      converted,
    } = await startingParts(dataRoot, engine, local, {
      snapshotId,
      base: options.base,
    });

    // 2. New labelled rows: the prediction log compacted (today's files too: they may have outcomes in tests and
    // late runs), then joined with the month's outcomes in the engine, so memory and disk follow the month's
    // outcomes, not the history.
    const compaction = await compact(dataRoot, engine, { asOf: now(), includeOpenDay: true });
    const join = await joinOutcomes(dataRoot, engine, options.outcomes, {
      knownParts: parentParts.map((p) => p.file),
      files: local,
    });
    if (!parent && !options.base && join.counts.matched < MIN_FIRST_SNAPSHOT_ROWS) {
      throw new Error(
        `no snapshot in ${dataRoot.location}/${SNAPSHOTS}, no --base file, and ${join.counts.matched} new labelled applications: ` +
          `a first snapshot from this month's outcomes alone needs at least ${MIN_FIRST_SNAPSHOT_ROWS}`,
      );
    }
    report.join = {
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
    logger.info({ message: 'outcomes joined', ...report.join });

    // 3. The new snapshot: the parent's parts and this month's, immutable; its manifest written last.
    const newPart =
      join.counts.matched > 0
        ? await writePart(dataRoot, engine, MATCHED_AS_PART_ROWS(MATCHED), partKey(snapshotId, 'new'))
        : null;
    const snapshot = await writeSnapshotManifest(dataRoot, {
      id: snapshotId,
      created_at: now().toISOString(),
      parent: parent?.manifest.id ?? null,
      new_rows: join.counts.matched,
      parts: [...parentParts, ...(newPart ? [newPart] : [])],
      sources: {
        outcomes_file: options.outcomesName,
        prediction_files: compaction.files,
        base: parent ? null : options.base ? 'initial file' : 'none: the first month of outcomes alone',
        converted,
      },
    });
    report.snapshot = {
      id: snapshot.id,
      parent: snapshot.parent,
      rows: snapshot.rows,
      new_rows: snapshot.new_rows,
      parts: snapshot.parts.length,
      sha256: newPart?.sha256 ?? null,
    };
    logger.info({ message: 'snapshot written', ...report.snapshot });

    // 4. The candidate, trained on the snapshot's training frame (recent months, capped); its holdout is the most
    // recent slice of the frame.
    const dataFile = path.join(work, 'data.csv');
    const holdoutFile = path.join(work, 'holdout.csv');
    report.training_frame = await writeTrainingFrame(
      engine,
      local,
      snapshot.parts,
      dataFile,
      options.trainingFrame ?? DEFAULT_TRAINING_FRAME,
    );
    report.local_disk_peak_bytes = local.peakBytes;
    logger.info({ message: 'training frame chosen', ...report.training_frame });
    // The engine's work is done: its memory goes back before Python's training takes its own.
    engine.close();
    engine = undefined;
    await options.train(dataFile, path.join(work, 'candidate'), holdoutFile, {
      uri: `${dataRoot.location}/${SNAPSHOTS}${snapshot.id}/manifest.json`,
      frame: { snapshot: snapshot.id, ...report.training_frame },
    });
    const files = await readArtifactDir(path.join(work, 'candidate'));
    const manifest = JSON.parse(files['manifest.json'].toString('utf8')) as ModelManifest;
    const holdout = parseCsv(await readFile(holdoutFile));
    report.evaluation = { slice: `most recent 20% of the training frame by ${TIME_COLUMN}`, rows: holdout.length };

    // 5. Both models on the same slice, through the serving runtime.
    const candidate = await verifyArtifactFiles(files);
    const candidateScores = await scoreHoldout(candidate, holdout);
    report.candidate = {
      version: manifest.version,
      roc_auc: holdoutAuc(holdout, candidateScores),
      fairness: holdoutFairness(candidate, holdout, candidateScores),
      training_metrics: manifest.metrics,
    };
    await candidate.release();
    const pointer = await store.readChannel(options.name, options.channel);
    if (pointer) {
      const production = await loadVersion(store, options.name, pointer.version);
      const productionScores = await scoreHoldout(production, holdout);
      report.production = { version: pointer.version, roc_auc: holdoutAuc(holdout, productionScores) };
      await production.release();
    }
    logger.info({
      message: 'models evaluated',
      candidate: report.candidate.roc_auc,
      production: report.production?.roc_auc ?? null,
    });

    // 6. The gate.
    const verdict = judgePromotion({
      names: { model: 'candidate', incumbent: "production's" },
      model: report.candidate,
      incumbent: report.production,
      mustBeatIncumbent: false,
      rows: holdout.length,
      limits: {
        minAuc: options.minAuc,
        maxDrop: options.maxDrop,
        minAir: options.minAir ?? DEFAULT_GATE_LIMITS.minAir,
      },
    });
    report.reasons.push(...verdict.reasons);
    if (verdict.passed) {
      await publishVerified(store, files, options.name);
      if (options.stage === 'shadow') {
        await setChallenger(store, options.name, 'shadow', manifest.version);
        report.status = 'shadowed';
        report.shadow_version = manifest.version;
      } else {
        await promote(store, options.name, options.channel, manifest.version);
        report.status = 'promoted';
        report.promoted_version = manifest.version;
      }
    } else {
      report.status = 'rejected';
    }
  } catch (error) {
    report.status = 'failed';
    report.reasons.push((error as Error).message);
    logger.error({ message: 'retraining failed', reason: (error as Error).message });
  } finally {
    engine?.close();
    await rm(work, { recursive: true, force: true });
  }
  report.finished_at = now().toISOString();
  const prefix = `${RETRAINING}${report.run_id}`;
  await dataRoot.put(`${prefix}/report.json`, Buffer.from(JSON.stringify(report, null, 2) + '\n'), {
    contentType: 'application/json',
  });
  await dataRoot.put(`${prefix}/report.html`, Buffer.from(renderReportHtml(report)), {
    contentType: 'text/html; charset=utf-8',
  });
  logger.log(report.status === 'failed' ? 'error' : 'info', {
    message: `retraining ${report.status}`,
    run_id: report.run_id,
    reasons: report.reasons,
  });
  return report;
}
