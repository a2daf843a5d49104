import escapeHtml from '../retraining/html-escape.js';
import type { ReplayReport } from './replay.js';

const percent = (x: number) => `${(100 * x).toFixed(2)}%`;

/** The replay's page: the swap set (every move with its count and mean PD), rates before and after, by segment. */
export function replayHtml(report: ReplayReport, policyDescription: string): string {
  const moves = report.moves
    .map(
      (m) =>
        `<tr${m.from !== m.to ? ' style="font-weight:bold"' : ''}><td>${m.from}</td><td>${m.to}</td><td>${m.count}</td>` +
        `<td>${percent(m.mean_probability_of_default)}</td></tr>`,
    )
    .join('');
  const segments = Object.entries(report.swaps_by_segment)
    .sort((a, b) => b[1] - a[1])
    .map(([segment, n]) => `<tr><td>${escapeHtml(segment)}</td><td>${n}</td></tr>`)
    .join('');
  const rates = (['approval_rate', 'refer_rate', 'decline_rate'] as const)
    .map(
      (k) =>
        `<tr><th>${k.replace('_', ' ')}</th><td>${percent(report.before[k])}</td><td>${percent(report.after[k])}</td></tr>`,
    )
    .join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Policy replay</title>
<style>body{font-family:sans-serif;max-width:960px;margin:2em auto}table{border-collapse:collapse}
th,td{border:1px solid #ccc;padding:4px 8px;text-align:left}</style></head><body>
<h1>Policy replay</h1><p>${escapeHtml(policyDescription)}</p>
<p>${report.applications} logged applications (${escapeHtml(report.period.from ?? 'the start')} to
${escapeHtml(report.period.to ?? 'now')}), re-decided with the probabilities and thresholds they were given;
${report.swaps} would change decision.</p>
<h2>Swap set</h2><table><tr><th>logged</th><th>candidate</th><th>applications</th><th>mean PD</th></tr>${moves}</table>
<h2>Rates</h2><table><tr><th></th><th>before</th><th>after</th></tr>${rates}</table>
<h2>Changes by loan purpose</h2><table><tr><th>loan purpose</th><th>applications</th></tr>${segments}</table>
</body></html>
`;
}
