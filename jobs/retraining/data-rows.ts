import { parse } from 'csv-parse/sync';
import { INPUT_FIELDS, LoanApplication, NUMBER_RULES } from '../../service/src/contract/loan-application.contract.js';

export function parseCsv(text: string | Buffer): Record<string, string>[] {
  return parse(text, { columns: true, skip_empty_lines: true, bom: true }) as Record<string, string>[];
}

/** A data row as the model's input (the service's validation has already run on captured rows). */
export function toApplication(row: Record<string, string>): LoanApplication {
  const application = {} as Record<string, unknown>;
  for (const field of INPUT_FIELDS) application[field] = field in NUMBER_RULES ? Number(row[field]) : row[field];
  return application as unknown as LoanApplication;
}
