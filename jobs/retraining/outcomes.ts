import { PredictionRecord } from '../../service/src/capture/prediction-record.js';
import { INPUT_FIELDS } from '../../service/src/contract/loan-application.contract.js';
import { parseCsv, SnapshotRow } from './snapshot-rows.js';

export interface Outcome {
  application_id: string;
  loan_paid_back: 0 | 1;
  observed_at: string;
}

/** Parses an outcomes file (application_id, loan_paid_back, observed_at); every bad row is reported. */
export function parseOutcomes(text: string | Buffer): Outcome[] {
  const rows = parseCsv(text);
  const missing = ['application_id', 'loan_paid_back', 'observed_at'].filter((c) => rows.length > 0 && !(c in rows[0]));
  if (rows.length === 0) throw new Error('the outcomes file has no rows');
  if (missing.length) throw new Error(`the outcomes file lacks columns: ${missing.join(', ')}`);
  const problems: string[] = [];
  const outcomes = rows.map((row, i) => {
    const line = i + 2;
    if (!row.application_id) problems.push(`line ${line}: application_id is empty`);
    if (row.loan_paid_back !== '0' && row.loan_paid_back !== '1')
      problems.push(`line ${line}: loan_paid_back must be 0 or 1, got '${row.loan_paid_back}'`);
    if (Number.isNaN(Date.parse(row.observed_at)))
      problems.push(`line ${line}: observed_at '${row.observed_at}' is not a date`);
    return {
      application_id: row.application_id,
      loan_paid_back: Number(row.loan_paid_back) as 0 | 1,
      observed_at: new Date(row.observed_at).toISOString(),
    };
  });
  if (problems.length)
    throw new Error(`outcomes do not follow the format:\n  - ${problems.slice(0, 20).join('\n  - ')}`);
  return outcomes;
}

export interface JoinResult {
  rows: SnapshotRow[];
  matched: number;
  unmatched: number;
  alreadyInParent: number;
}

/** Labelled rows: each outcome joined to the captured prediction of its application (the latest one). */
export function joinOutcomes(
  outcomes: Outcome[],
  captured: Map<string, PredictionRecord>,
  parentIds: Set<string>,
): JoinResult {
  const rows: SnapshotRow[] = [];
  let unmatched = 0;
  let alreadyInParent = 0;
  const seen = new Set<string>();
  for (const outcome of outcomes) {
    if (parentIds.has(outcome.application_id) || seen.has(outcome.application_id)) {
      alreadyInParent++;
      continue;
    }
    const record = captured.get(outcome.application_id);
    if (!record) {
      unmatched++;
      continue;
    }
    seen.add(outcome.application_id);
    const row = { application_id: outcome.application_id } as SnapshotRow;
    for (const field of INPUT_FIELDS) row[field] = String(record.inputs[field]);
    row.loan_paid_back = String(outcome.loan_paid_back);
    row.observed_at = outcome.observed_at;
    rows.push(row);
  }
  return { rows, matched: rows.length, unmatched, alreadyInParent };
}
