import escapeHtml from '../retraining/html-escape.js';
import type { Backtest } from './backtest.js';
import type { TrafficLight } from './traffic-lights.js';

const LIGHT_COLOUR: Record<TrafficLight, string> = {
  green: '#2e7d32',
  yellow: '#f9a825',
  red: '#c62828',
  too_few: '#9e9e9e',
};

const percent = (v: number | null, digits = 2) => (v === null ? 'n/a' : `${(v * 100).toFixed(digits)}%`);
const pValue = (v: number | null) => (v === null ? 'n/a' : v < 1e-4 ? v.toExponential(1) : v.toFixed(4));
const light = (l: TrafficLight) =>
  `<span style="display:inline-block;width:0.9em;height:0.9em;border-radius:50%;background:${LIGHT_COLOUR[l]}"></span> ${l.replace('_', ' ')}`;

/**
 * A reliability diagram: each grade's observed default rate against its mean PD (log scales would hide the grades
 * that matter least; square-root axes keep the small PDs apart), the diagonal being a promise kept.
 */
export function reliabilitySvg(test: Backtest, size = 320): string {
  const judged = test.grades.filter((g) => g.count > 0);
  const top = Math.max(0.05, ...judged.map((g) => Math.max(g.mean_pd, g.observed_default_rate ?? 0))) * 1.1;
  const at = (v: number) => Math.sqrt(v / top) * (size - 40);
  const x = (v: number) => 30 + at(v);
  const y = (v: number) => size - 30 - at(v);
  const points = judged
    .map(
      (g) =>
        `<circle cx="${x(g.mean_pd).toFixed(1)}" cy="${y(g.observed_default_rate ?? 0).toFixed(1)}" r="5" fill="${LIGHT_COLOUR[g.light]}"><title>${escapeHtml(g.grade)}: ${percent(g.mean_pd)} promised, ${percent(g.observed_default_rate)} observed over ${g.count}</title></circle>`,
    )
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}" role="img" aria-label="Reliability diagram">
<line x1="${x(0)}" y1="${y(0)}" x2="${x(top)}" y2="${y(top)}" stroke="#999" stroke-dasharray="4"/>
<line x1="${x(0)}" y1="${y(0)}" x2="${x(top)}" y2="${y(0)}" stroke="#333"/><line x1="${x(0)}" y1="${y(0)}" x2="${x(0)}" y2="${y(top)}" stroke="#333"/>
<text x="${size / 2}" y="${size - 5}" font-size="11" text-anchor="middle">mean PD of the grade (square-root scale, to ${percent(top, 0)})</text>
<text x="10" y="${size / 2}" font-size="11" text-anchor="middle" transform="rotate(-90 10 ${size / 2})">observed default rate</text>
${points}</svg>`;
}

/** The per-grade table and the portfolio's figures of one backtest, as an HTML fragment. */
export function backtestHtml(test: Backtest): string {
  const rows = test.grades
    .map(
      (g) =>
        `<tr><th>${escapeHtml(g.grade)}</th><td>&le; ${percent(g.upper)}</td><td>${g.count}</td><td>${g.defaults}</td><td>${percent(g.mean_pd)}</td><td>${percent(g.observed_default_rate)}</td><td>${pValue(g.jeffreys_p)}</td><td>${pValue(g.binomial_p)}</td><td>${light(g.light)}</td></tr>`,
    )
    .join('\n');
  const p = test.portfolio;
  return `<table><tr><th>grade</th><th>PD band</th><th>applications</th><th>defaults</th><th>mean PD</th><th>observed default rate</th><th>Jeffreys p</th><th>binomial p</th><th>light</th></tr>
${rows}
<tr><th>portfolio</th><td></td><td>${test.count}</td><td>${test.defaults}</td><td>${percent(p.mean_pd)}</td><td>${percent(p.observed_default_rate)}</td><td>${pValue(p.jeffreys_p)}</td><td>${pValue(p.binomial_p)}</td><td>${light(p.light)}</td></tr></table>
<p>Worst light: ${light(test.worst_light)}. Grades with fewer than ${test.min_grade_count} applications are not judged.
Green: p &ge; 0.05; yellow: down to 0.001; red below (one-sided: defaults above the promise).</p>
<ul><li>Expected calibration error ${percent(p.expected_calibration_error, 3)}; Brier score ${p.brier.toFixed(4)};
Hosmer-Lemeshow &chi;&sup2; ${p.hosmer_lemeshow.statistic.toFixed(2)} on ${p.hosmer_lemeshow.degrees} degrees, p ${pValue(p.hosmer_lemeshow.p_value)}</li>
<li>ROC-AUC ${p.auc ? `${p.auc.auc.toFixed(4)} (DeLong 95%: ${p.auc.interval_95[0].toFixed(4)} to ${p.auc.interval_95[1].toFixed(4)})` : 'n/a (one class only)'}${p.auc_deterioration ? `; against ${p.auc_deterioration.initial_auc.toFixed(4)} at initial validation: p ${pValue(p.auc_deterioration.p_value)}` : ''}</li>
<li>Herfindahl index of the grades ${p.herfindahl.toFixed(3)} (1/${test.grades.length} = ${(1 / test.grades.length).toFixed(3)} would be even)</li></ul>
${reliabilitySvg(test)}`;
}
