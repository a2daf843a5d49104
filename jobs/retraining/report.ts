import type { CompactionReport } from '../tables/compaction.js';
import type { TrainingFrame } from '../tables/training-frame.js';
import type { FairnessTable } from '../../service/src/monitoring/fairness.js';
import html from './html-escape.js';
import type { Backtest } from '../backtesting/backtest.js';
import { backtestHtml } from '../backtesting/report-html.js';

/** promoted: production moved; shadowed: the candidate passed and waits on the shadow channel (--stage shadow). */
export type RetrainStatus = 'promoted' | 'shadowed' | 'rejected' | 'failed';

export interface RetrainReport {
  run_id: string;
  status: RetrainStatus;
  reasons: string[];
  started_at: string;
  finished_at: string;
  thresholds: { min_auc: number; max_drop: number; min_air: number; max_ece: number };
  /** The snapshot this run wrote: its rows over all its parts, and the sha256 of the part it added (if any). */
  snapshot: {
    id: string;
    parent: string | null;
    rows: number;
    new_rows: number;
    parts: number;
    sha256: string | null;
  } | null;
  /** Every outcome row ends up matched, unmatched, duplicate, already known or invalid: they add up to outcomes. */
  join: {
    outcomes: number;
    matched: number;
    unmatched: number;
    duplicate: number;
    already_known: number;
    invalid: number;
    invalid_examples: string[];
    /** Log files compacted by this run (a compacted file is never read again). */
    prediction_files: number;
    compaction: CompactionReport;
    /** The most bytes of table parts held on local disk at once by the join (S3 roots; 0 for a directory). */
    local_table_bytes: number;
  } | null;
  /** The most bytes of downloaded parts the whole run held on local disk at once (S3 roots; 0 for a directory). */
  local_disk_peak_bytes?: number;
  evaluation: { slice: string; rows: number } | null;
  /** The rows the candidate trained on: the window, the cap and what they kept of the snapshot. */
  training_frame: TrainingFrame | null;
  candidate: {
    version: string;
    roc_auc: number;
    fairness: FairnessTable;
    /** The candidate's probabilities backtested on the holdout, per grade of its master scale. */
    calibration: Backtest;
    training_metrics: Record<string, unknown>;
  } | null;
  /**
   * Production backtested on the month's matched outcomes: the version that decided most of those applications, by
   * the probabilities it gave, as logged.
   */
  production_backtest: { version: string; backtest: Backtest } | null;
  production: { version: string; roc_auc: number } | null;
  promoted_version: string | null;
  /** Where a candidate that passes goes. */
  stage: 'production' | 'shadow';
  shadow_version?: string;
}

/** A one-page HTML version of the decision for people. */
export function renderReportHtml(report: RetrainReport): string {
  const row = (k: string, v: unknown) =>
    `<tr><th>${html(k)}</th><td>${html(typeof v === 'number' ? v.toFixed(4) : String(v ?? '—'))}</td></tr>`;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Retraining ${html(report.run_id)}: ${report.status}</title>
<style>body{font-family:sans-serif;max-width:860px;margin:2em auto}table{border-collapse:collapse}th,td{border:1px solid #ccc;padding:4px 8px;text-align:left}</style></head>
<body><h1>Retraining ${html(report.run_id)}: <em>${report.status}</em></h1>
<ul>${report.reasons.map((r) => `<li>${html(r)}</li>`).join('')}</ul>
<table>
${row('candidate version', report.candidate?.version)}
${row('candidate ROC-AUC (recent slice)', report.candidate?.roc_auc)}
${row('production version', report.production?.version)}
${row('production ROC-AUC (recent slice)', report.production?.roc_auc)}
${row('minimum ROC-AUC', report.thresholds.min_auc)}
${row('largest drop allowed', report.thresholds.max_drop)}
${row('lowest adverse impact ratio allowed', report.thresholds.min_air)}
${row('largest expected calibration error allowed', report.thresholds.max_ece)}
${row('evaluation slice', report.evaluation ? `${report.evaluation.slice} (${report.evaluation.rows} rows)` : null)}
${row('snapshot', report.snapshot ? `${report.snapshot.id} (${report.snapshot.rows} rows, ${report.snapshot.new_rows} new, ${report.snapshot.parts} parts; parent ${report.snapshot.parent ?? 'none'})` : null)}
${row('outcomes joined', report.join ? `${report.join.matched} of ${report.join.outcomes} (${report.join.unmatched} without a captured prediction, ${report.join.duplicate} duplicates, ${report.join.already_known} already known, ${report.join.invalid} invalid)` : null)}
${row('promoted', report.promoted_version)}
${row('put on the shadow channel', report.shadow_version)}
</table>
${fairnessHtml(report)}
${report.candidate?.calibration ? `<h2>Candidate calibration on the recent slice</h2>${backtestHtml(report.candidate.calibration)}` : ''}
${report.production_backtest ? `<h2>Production (${html(report.production_backtest.version)}) on this month's outcomes</h2>${backtestHtml(report.production_backtest.backtest)}` : ''}
</body></html>
`;
}

/** The candidate's approval rates by protected group on the holdout; groups under the minimum ratio in red. */
function fairnessHtml(report: RetrainReport): string {
  if (!report.candidate?.fairness) return '';
  const cell = (v: number | null) => (v === null ? 'n/a' : v.toFixed(3));
  const rows = Object.entries(report.candidate.fairness).flatMap(([attribute, groups]) =>
    Object.entries(groups).map(([group, g]) => {
      const red =
        g.adverse_impact_ratio !== null && g.adverse_impact_ratio < report.thresholds.min_air
          ? ' style="color:#b00"'
          : '';
      return `<tr${red}><td>${html(attribute)}</td><td>${html(group)}</td><td>${g.count}</td><td>${cell(g.approval_rate)}</td><td>${cell(g.adverse_impact_ratio)}</td><td>${html(g.status)}</td></tr>`;
    }),
  );
  return `<h2>Candidate fairness on the recent slice</h2><table><tr><th>attribute</th><th>group</th><th>applications</th><th>approval rate</th><th>adverse impact ratio</th><th>status</th></tr>${rows.join('')}</table>`;
}
