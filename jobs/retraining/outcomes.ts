import { INPUT_FIELDS } from '../../service/src/contract/loan-application.contract.js';
import type { JoinedRow } from '../tables/outcome-join.js';
import type { SnapshotRow } from './snapshot-rows.js';

/** A matched outcome as a snapshot row: the application's inputs as captured, the label and when it was seen. */
export function toSnapshotRow(joined: JoinedRow): SnapshotRow {
  const row = { application_id: joined.application_id } as SnapshotRow;
  for (const field of INPUT_FIELDS) row[field] = String(joined[field]);
  row.loan_paid_back = String(joined.loan_paid_back);
  row.observed_at = joined.observed_at;
  return row;
}
