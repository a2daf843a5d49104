import { INPUT_FIELDS } from '../../service/src/contract/loan-application.contract.js';
import { VALID_APPLICATION } from './applications.js';

/**
 * One CSV line of snapshot rows (the snapshot's column order: id, the 11 inputs, label, observed_at), with the
 * valid application's inputs; a comma-free text for every value so the line needs no quoting.
 */
export function snapshotLine(id: string, observedAt = '2026-10-01T00:00:00Z', label = '1', loanAmount = '15000.5') {
  const inputs = INPUT_FIELDS.map((field) =>
    field === 'loan_amount' ? loanAmount : String((VALID_APPLICATION as unknown as Record<string, unknown>)[field]),
  );
  return [id, ...inputs, label, observedAt].join(',');
}
