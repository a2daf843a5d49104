import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
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
import { latestSnapshot, RETRAINING, SNAPSHOTS, timeId, writeSnapshot } from './data-root.js';
import { compact } from '../tables/compaction.js';
import { Engine, openEngine } from '../tables/engine.js';
import { joinOutcomes, writeMatchedCsv } from '../tables/outcome-join.js';
import { DEFAULT_TRAINING_FRAME, TrainingFrameOptions, writeTrainingFrame } from '../tables/training-frame.js';
import { renderReportHtml, RetrainReport } from './report.js';
import { rocAuc } from './roc-auc.js';
import { countApprovals, FairnessTable, fairnessTable } from '../../service/src/monitoring/fairness.js';
import { DEFAULT_GATE_LIMITS, judgePromotion, MIN_AIR_GROUP } from '../promotion-gate/gate.js';
import { parseCsv, SNAPSHOT_COLUMNS, toApplication, toCsv, toSnapshotRows } from './snapshot-rows.js';

export interface RetrainOptions {
  store: ModelStore;
  dataRoot: BlobStore;
  outcomes: Buffer;
  outcomesName: string;
  /** The first snapshot's rows, when the data root has none yet. */
  base?: Buffer;
  /** Which of the snapshot's rows the candidate trains on (default: 24 months, at most 1,000,000 rows). */
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
  train: (dataFile: string, outDir: string, holdoutFile: string, dataUri: string) => Promise<void>;
  logger: winston.Logger;
  now?: () => Date;
}

export const TIME_COLUMN = 'observed_at';

async function holdoutAuc(model: LoadedModel, rows: Record<string, string>[]): Promise<number> {
  const scores = await model.score(rows.map(toApplication));
  return rocAuc(
    rows.map((r) => (r.loan_paid_back === '0' ? 1 : 0)),
    scores,
  );
}

/** The candidate's decisions on the holdout, by protected group (the same figures /monitoring/fairness gives live). */
async function holdoutFairness(model: LoadedModel, rows: Record<string, string>[]): Promise<FairnessTable> {
  const applications = rows.map(toApplication);
  const scores = await model.score(applications);
  return fairnessTable(
    countApprovals(applications, (i) => scores[i] < model.threshold),
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
    // 1. New labelled rows from captured predictions and observed outcomes.
    const parent = await latestSnapshot(dataRoot);
    let parentCsv: string;
    if (parent) {
      parentCsv = (await dataRoot.get(parent.data.file)).toString('utf8');
    } else if (options.base) {
      parentCsv = toCsv(toSnapshotRows(parseCsv(options.base)));
    } else {
      // A new stack: the first snapshot holds this month's labelled applications alone (checked below).
      parentCsv = toCsv([]);
    }
    const parentRows = parseCsv(parentCsv);
    // The prediction log through the tables: compacted (today's files too: they may have outcomes in tests and
    // late runs), then joined in the engine, so memory follows the month's matches, not the history.
    engine = await openEngine({ workDir: path.join(work, 'engine') });
    const compaction = await compact(dataRoot, engine, { asOf: now(), includeOpenDay: true });
    const join = await joinOutcomes(
      dataRoot,
      engine,
      options.outcomes,
      parentRows.map((r) => r.application_id).filter(Boolean),
    );
    // The month's matches as CSV, written by the engine in the snapshot's column order.
    const newRowsFile = path.join(work, 'new-rows.csv');
    await writeMatchedCsv(engine, newRowsFile, SNAPSHOT_COLUMNS);
    const newRowsCsv = await readFile(newRowsFile, 'utf8');
    const joined = { rows: { length: join.counts.matched } };
    if (!parent && !options.base && joined.rows.length < MIN_FIRST_SNAPSHOT_ROWS) {
      throw new Error(
        `no snapshot in ${dataRoot.location}/${SNAPSHOTS}, no --base file, and ${joined.rows.length} new labelled applications: ` +
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

    // 2. The new snapshot: parent rows plus the new ones, immutable.
    const csv = parentCsv.endsWith('\n') || parentCsv === '' ? parentCsv + newRowsCsv : `${parentCsv}\n${newRowsCsv}`;
    const snapshot = await writeSnapshot(
      dataRoot,
      {
        id: timeId(now(), csv),
        created_at: now().toISOString(),
        parent: parent?.id ?? null,
        sources: {
          outcomes_file: options.outcomesName,
          prediction_files: compaction.files,
          base: parent ? null : options.base ? 'initial file' : 'none: the first month of outcomes alone',
        },
      },
      csv,
      parentRows.length + joined.rows.length,
      joined.rows.length,
    );
    report.snapshot = {
      id: snapshot.id,
      parent: snapshot.parent,
      rows: snapshot.data.rows,
      new_rows: snapshot.data.new_rows,
      sha256: snapshot.data.sha256,
    };
    logger.info({ message: 'snapshot written', ...report.snapshot });

    // 3. The candidate, trained on the snapshot's training frame (recent months, capped); its holdout is the most
    // recent slice of the frame.
    const snapshotFile = path.join(work, 'snapshot.csv');
    const dataFile = path.join(work, 'data.csv');
    const holdoutFile = path.join(work, 'holdout.csv');
    await writeFile(snapshotFile, csv);
    report.training_frame = await writeTrainingFrame(
      engine,
      snapshotFile,
      dataFile,
      options.trainingFrame ?? DEFAULT_TRAINING_FRAME,
    );
    logger.info({ message: 'training frame chosen', ...report.training_frame });
    await options.train(
      dataFile,
      path.join(work, 'candidate'),
      holdoutFile,
      `${dataRoot.location}/${snapshot.data.file}`,
    );
    const files = await readArtifactDir(path.join(work, 'candidate'));
    const manifest = JSON.parse(files['manifest.json'].toString('utf8')) as ModelManifest;
    const holdout = parseCsv(await readFile(holdoutFile));
    report.evaluation = { slice: `most recent 20% of the training frame by ${TIME_COLUMN}`, rows: holdout.length };

    // 4. Both models on the same slice, through the serving runtime.
    const candidate = await verifyArtifactFiles(files);
    report.candidate = {
      version: manifest.version,
      roc_auc: await holdoutAuc(candidate, holdout),
      fairness: await holdoutFairness(candidate, holdout),
      training_metrics: manifest.metrics,
    };
    await candidate.release();
    const pointer = await store.readChannel(options.name, options.channel);
    if (pointer) {
      const production = await loadVersion(store, options.name, pointer.version);
      report.production = { version: pointer.version, roc_auc: await holdoutAuc(production, holdout) };
      await production.release();
    }
    logger.info({
      message: 'models evaluated',
      candidate: report.candidate.roc_auc,
      production: report.production?.roc_auc ?? null,
    });

    // 5. The gate.
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
