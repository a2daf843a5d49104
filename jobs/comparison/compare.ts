import type { PredictionRecord } from '../../service/src/capture/prediction-record.js';
import { seededRandom } from '../seeded-random.js';
import { countApprovals, FairnessTable, fairnessTable } from '../../service/src/monitoring/fairness.js';
import { BlobStore } from '../../service/src/storage/blob-store.js';
import { INPUT_FIELDS } from '../../service/src/contract/loan-application.contract.js';
import { timeId } from '../../service/src/model/time-id.js';
import { writeReport } from '../retraining/data-root.js';
import { compact } from '../tables/compaction.js';
import { withEngine } from '../tables/engine.js';
import { JoinedRow, joinOutcomes, matchedRows } from '../tables/outcome-join.js';
import escapeHtml from '../retraining/html-escape.js';
import { DEFAULT_GATE_LIMITS, judgePromotion, MIN_AIR_GROUP } from '../promotion-gate/gate.js';
import { rocAuc } from '../retraining/roc-auc.js';
import type { Backtest } from '../backtesting/backtest.js';
import { backtestHtml } from '../backtesting/report-html.js';
import { backtestVersion, readVersionPromise } from '../backtesting/version-backtest.js';
import type { ModelStore } from '../../service/src/model/model-store.js';

export const COMPARISONS = 'comparisons/';
const BOOTSTRAP_RESAMPLES = 1000;

export interface ModelFigures {
  version: string;
  roc_auc: number;
  /** 95% bootstrap interval of the ROC-AUC (resampling the compared rows). */
  roc_auc_95: [number, number];
  brier: number;
  approval_rate: number;
  default_rate_approved: number | null;
  fairness: FairnessTable;
  /** The probabilities backtested on the compared rows, per grade of the version's master scale. */
  calibration?: Backtest;
}

export interface ComparisonReport {
  run_id: string;
  verdict: 'promote' | 'keep';
  reasons: string[];
  rows: number;
  thresholds: { min_auc: number; max_drop: number; min_air: number; max_ece: number };
  champion: ModelFigures | null;
  challenger: ModelFigures | null;
}

export interface CompareOptions {
  dataRoot: BlobStore;
  outcomes: Buffer;
  minAuc: number;
  maxDrop: number;
  minAir?: number;
  /** The largest expected calibration error the challenger may have on the compared rows. */
  maxEce?: number;
  /** Where the challenger's manifest (its master scale) is read from. */
  store: ModelStore;
  name: string;
  seed?: number;
  now?: () => Date;
}

function figures(
  version: string,
  rows: { y: number; p: number; approved: boolean; record: PredictionRecord }[],
  seed: number,
): ModelFigures {
  const y = rows.map((r) => r.y);
  const p = rows.map((r) => r.p);
  const next = seededRandom(seed);
  const resampled: number[] = [];
  for (let b = 0; b < BOOTSTRAP_RESAMPLES; b++) {
    const idx = Array.from({ length: rows.length }, () => Math.floor(next() * rows.length));
    const ys = idx.map((i) => y[i]);
    if (ys.every((v) => v === ys[0])) continue; // one class only: no AUC
    resampled.push(
      rocAuc(
        ys,
        idx.map((i) => p[i]),
      ),
    );
  }
  resampled.sort((a, b) => a - b);
  const approved = rows.filter((r) => r.approved);
  return {
    version,
    roc_auc: rocAuc(y, p),
    roc_auc_95: [resampled[Math.floor(resampled.length * 0.025)], resampled[Math.ceil(resampled.length * 0.975) - 1]],
    brier: rows.reduce((sum, r) => sum + (r.p - r.y) ** 2, 0) / rows.length,
    approval_rate: approved.length / rows.length,
    default_rate_approved: approved.length ? approved.filter((r) => r.y === 1).length / approved.length : null,
    fairness: fairnessTable(
      countApprovals(
        rows.map((r) => r.record.inputs),
        (i) => rows[i].approved,
      ),
      MIN_AIR_GROUP,
    ),
  };
}

/** A joined row as the prediction record it came from (the fields the comparison reads). */
function asRecord(row: JoinedRow): PredictionRecord {
  const inputs = Object.fromEntries(INPUT_FIELDS.map((f) => [f, row[f]])) as unknown as PredictionRecord['inputs'];
  return {
    prediction_id: String(row.prediction_id),
    application_id: row.application_id,
    inputs,
    probability_of_default: Number(row.probability_of_default),
    decision: row.decision as PredictionRecord['decision'],
    threshold: Number(row.threshold),
    model_version: String(row.model_version),
    timestamp: String(row.answered_at),
    request_id: row.request_id === null ? null : String(row.request_id),
    shadow: {
      model_version: String(row.shadow_model_version),
      probability_of_default: Number(row.shadow_probability_of_default),
      decision: row.shadow_decision as PredictionRecord['decision'],
    },
  };
}

/**
 * Champion against challenger on real outcomes: the captured records that carry both production's and the
 * shadow's scores, joined with observed outcomes, judged by the retraining gate (ROC-AUC floor, largest drop,
 * four-fifths rule). Writes comparisons/<run>/report.json and report.html to the data root.
 */
export async function compare(options: CompareOptions): Promise<ComparisonReport> {
  const now = options.now ?? (() => new Date());
  const minAir = options.minAir ?? DEFAULT_GATE_LIMITS.minAir;
  const maxEce = options.maxEce ?? DEFAULT_GATE_LIMITS.maxEce;
  // The prediction log through the tables, as the monthly run reads it: compacted, then joined in the engine.
  const rows = await withEngine('compare', async (engine) => {
    await compact(options.dataRoot, engine, { asOf: now(), includeOpenDay: true });
    await joinOutcomes(options.dataRoot, engine, options.outcomes, { knownParts: [] });
    return matchedRows(engine);
  });
  const joined = rows
    .filter((row) => row.shadow_model_version !== null)
    .map((row) => ({ outcome: { loan_paid_back: row.loan_paid_back }, record: asRecord(row) }));
  const report: ComparisonReport = {
    run_id: timeId(now(), `${joined.length}-${Math.random()}`),
    verdict: 'keep',
    reasons: [],
    rows: joined.length,
    thresholds: { min_auc: options.minAuc, max_drop: options.maxDrop, min_air: minAir, max_ece: maxEce },
    champion: null,
    challenger: null,
  };
  const versions = new Set(joined.map((j) => `${j.record.model_version} ${j.record.shadow!.model_version}`));
  if (joined.length < 100)
    report.reasons.push(`only ${joined.length} outcomes match records scored by both models; at least 100 are needed`);
  else if (versions.size > 1)
    report.reasons.push(`the matched records come from ${versions.size} pairs of versions; compare one pair at a time`);
  else {
    const y = (j: (typeof joined)[number]) => (j.outcome.loan_paid_back === 0 ? 1 : 0);
    report.champion = figures(
      joined[0].record.model_version,
      joined.map((j) => ({
        y: y(j),
        p: j.record.probability_of_default,
        approved: j.record.decision === 'approve',
        record: j.record,
      })),
      options.seed ?? 1,
    );
    report.challenger = figures(
      joined[0].record.shadow!.model_version,
      joined.map((j) => ({
        y: y(j),
        p: j.record.shadow!.probability_of_default,
        approved: j.record.shadow!.decision === 'approve',
        record: j.record,
      })),
      options.seed ?? 1,
    );
    // The challenger's probabilities against what happened, on its own master scale.
    report.challenger.calibration = backtestVersion(
      joined.map(y),
      joined.map((j) => j.record.shadow!.probability_of_default),
      await readVersionPromise(options.store, options.name, report.challenger.version),
    ).test;
    const verdict = judgePromotion({
      names: { model: 'challenger', incumbent: "the champion's" },
      model: report.challenger,
      incumbent: report.champion,
      mustBeatIncumbent: true,
      rows: joined.length,
      limits: { minAuc: options.minAuc, maxDrop: options.maxDrop, minAir, maxEce },
    });
    report.reasons.push(...verdict.reasons);
    if (verdict.passed) report.verdict = 'promote';
  }
  const prefix = `${COMPARISONS}${report.run_id}`;
  await writeReport(options.dataRoot, prefix, report, reportHtml(report));
  return report;
}

function reportHtml(report: ComparisonReport): string {
  const cell = (v: number | null | undefined, digits = 4) =>
    v === null || v === undefined ? 'n/a' : v.toFixed(digits);
  const row = (label: string, pick: (m: ModelFigures) => string) =>
    `<tr><th>${escapeHtml(label)}</th><td>${report.champion ? pick(report.champion) : 'n/a'}</td><td>${report.challenger ? pick(report.challenger) : 'n/a'}</td></tr>`;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Champion vs challenger ${escapeHtml(report.run_id)}: ${report.verdict}</title>
<style>body{font-family:sans-serif;max-width:860px;margin:2em auto}table{border-collapse:collapse}th,td{border:1px solid #ccc;padding:4px 8px;text-align:left}</style></head>
<body><h1>Champion vs challenger: <em>${report.verdict}</em></h1>
<ul>${report.reasons.map((r) => `<li>${escapeHtml(r)}</li>`).join('')}</ul>
<table><tr><th></th><th>champion</th><th>challenger</th></tr>
${row('version', (m) => escapeHtml(m.version))}
${row('ROC-AUC (95% bootstrap interval)', (m) => `${cell(m.roc_auc)} (${cell(m.roc_auc_95[0])} to ${cell(m.roc_auc_95[1])})`)}
${row('Brier score', (m) => cell(m.brier))}
${row('approval rate', (m) => cell(m.approval_rate))}
${row('default rate among approved', (m) => cell(m.default_rate_approved))}
</table><p>${report.rows} applications with both scores and an observed outcome.</p>
${report.challenger?.calibration ? `<h2>The challenger's probabilities on these outcomes</h2>${backtestHtml(report.challenger.calibration)}` : ''}
</body></html>
`;
}
