import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { stepLog } from './step-log.js';
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
import { timeId } from '../../service/src/model/time-id.js';
import { RETRAINING, writeReport } from './data-root.js';
import { DEFAULT_TRAINING_FRAME, TrainingFrameOptions } from '../tables/training-frame.js';
import { buildSnapshot, buildSnapshotInChild, SnapshotStepInput } from './snapshot-step.js';

import { renderReportHtml, RetrainReport } from './report.js';
import { rocAuc } from './roc-auc.js';
import { countApprovals, FairnessTable, fairnessTable } from '../../service/src/monitoring/fairness.js';
import { DEFAULT_GATE_LIMITS, judgePromotion, MIN_AIR_GROUP } from '../promotion-gate/gate.js';
import { parseCsv, toApplication } from './data-rows.js';
import { backtestVersion } from '../backtesting/version-backtest.js';

export { MIN_FIRST_SNAPSHOT_ROWS } from './snapshot-step.js';

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
  /** The largest expected calibration error allowed on the holdout (no judged grade may be red either). */
  maxEce?: number;
  /** Where a candidate that passes goes: production (the default), or the shadow channel to be watched first. */
  stage?: 'production' | 'shadow';
  /** Trains on a CSV into a directory (model.onnx, manifest.json) and writes the holdout rows it scored. */
  train: (dataFile: string, outDir: string, holdoutFile: string, data: TrainingData) => Promise<void>;
  /**
   * Where the table work runs: a child process (the default: its memory is gone before Python trains), or this
   * process (for a caller that cannot fork a TypeScript entry point).
   */
  snapshotStep?: 'child-process' | 'in-process';
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
      max_ece: options.maxEce ?? DEFAULT_GATE_LIMITS.maxEce,
    },
    snapshot: null,
    join: null,
    evaluation: null,
    training_frame: null,
    candidate: null,
    production_backtest: null,
    production: null,
    promoted_version: null,
    stage: options.stage ?? 'production',
  };
  const step = stepLog(logger);
  const work = await mkdtemp(path.join(os.tmpdir(), 'retrain-'));
  try {
    // 1-4. The table work up to the training frame, in a process of its own that has exited (its engine's memory
    // with it) before Python trains.
    const dataFile = path.join(work, 'data.csv');
    const holdoutFile = path.join(work, 'holdout.csv');
    const input: SnapshotStepInput = {
      name: options.name,
      channel: options.channel,
      outcomesFile: path.join(work, 'outcomes.csv'),
      outcomesName: options.outcomesName,
      baseFile: options.base ? path.join(work, 'base.csv') : undefined,
      trainingFrame: options.trainingFrame ?? DEFAULT_TRAINING_FRAME,
      snapshotId: timeId(started, report.run_id),
      now: now().toISOString(),
      workDir: work,
      frameFile: dataFile,
    };
    await writeFile(input.outcomesFile, options.outcomes);
    if (options.base) await writeFile(input.baseFile!, options.base);
    const tables =
      options.snapshotStep === 'in-process'
        ? await buildSnapshot(input, { dataRoot, store, logger })
        : await buildSnapshotInChild(input, {
            dataRoot: dataRoot.location,
            store: store.location,
            logLevel: logger.level,
          });
    report.join = tables.join;
    report.snapshot = tables.snapshot;
    report.training_frame = tables.training_frame;
    report.production_backtest = tables.production_backtest;
    report.local_disk_peak_bytes = tables.local_disk_peak_bytes;
    step('snapshot step done');

    await options.train(dataFile, path.join(work, 'candidate'), holdoutFile, {
      uri: tables.snapshotUri,
      frame: { snapshot: tables.snapshot.id, ...tables.training_frame },
    });
    const files = await readArtifactDir(path.join(work, 'candidate'));
    const manifest = JSON.parse(files['manifest.json'].toString('utf8')) as ModelManifest;
    const holdout = parseCsv(await readFile(holdoutFile));
    step('candidate trained', { version: manifest.version, holdout_rows: holdout.length });
    report.evaluation = { slice: `most recent 20% of the training frame by ${TIME_COLUMN}`, rows: holdout.length };

    // 5. Both models on the same slice, through the serving runtime.
    const candidate = await verifyArtifactFiles(files);
    const candidateScores = await scoreHoldout(candidate, holdout);
    report.candidate = {
      version: manifest.version,
      roc_auc: holdoutAuc(holdout, candidateScores),
      fairness: holdoutFairness(candidate, holdout, candidateScores),
      calibration: backtestVersion(
        holdout.map((r) => (r.loan_paid_back === '0' ? 1 : 0)),
        candidateScores,
        manifest,
      ).test,
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
    step('models evaluated', { candidate: report.candidate.roc_auc, production: report.production?.roc_auc ?? null });

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
        maxEce: options.maxEce ?? DEFAULT_GATE_LIMITS.maxEce,
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
    await rm(work, { recursive: true, force: true });
  }
  report.finished_at = now().toISOString();
  const prefix = `${RETRAINING}${report.run_id}`;
  await writeReport(dataRoot, prefix, report, renderReportHtml(report));
  logger.log(report.status === 'failed' ? 'error' : 'info', {
    message: `retraining ${report.status}`,
    run_id: report.run_id,
    reasons: report.reasons,
  });
  return report;
}
