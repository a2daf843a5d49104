import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { INPUT_FIELDS, LoanApplication, NUMBER_RULES } from '../../service/src/contract/loan-application.contract.js';

/** The columns of a data snapshot: the id, the 11 inputs, the label and when the outcome was observed. */
export const SNAPSHOT_COLUMNS = ['application_id', ...INPUT_FIELDS, 'loan_paid_back', 'observed_at'] as const;
export type SnapshotRow = Record<(typeof SNAPSHOT_COLUMNS)[number], string>;

/** Rows without an observation time (an initial file) count as the oldest data. */
export const UNKNOWN_OBSERVED_AT = '1970-01-01T00:00:00Z';

export function parseCsv(text: string | Buffer): Record<string, string>[] {
  return parse(text, { columns: true, skip_empty_lines: true, bom: true }) as Record<string, string>[];
}

export function toCsv(rows: SnapshotRow[], header = true): string {
  return stringify(rows, { header, columns: [...SNAPSHOT_COLUMNS] });
}

/** Keeps the snapshot columns of a data file's rows, as written (numbers keep their exact text). */
export function toSnapshotRows(rows: Record<string, string>[]): SnapshotRow[] {
  return rows.map((row) => {
    const out = {} as SnapshotRow;
    for (const column of SNAPSHOT_COLUMNS) out[column] = row[column] ?? '';
    out.observed_at ||= UNKNOWN_OBSERVED_AT;
    return out;
  });
}

/** A data row as the model's input (the service's validation has already run on captured rows). */
export function toApplication(row: Record<string, string>): LoanApplication {
  const application = {} as Record<string, unknown>;
  for (const field of INPUT_FIELDS) application[field] = field in NUMBER_RULES ? Number(row[field]) : row[field];
  return application as unknown as LoanApplication;
}
