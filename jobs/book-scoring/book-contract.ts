import {
  ENUM_RULES,
  EnumField,
  GRADE_FIELD,
  GRADE_LETTERS,
  GRADE_SUBGRADE_PATTERN,
  INPUT_FIELDS,
  NUMBER_RULES,
  NumberField,
  NumberRule,
} from '../../service/src/contract/loan-application.contract.js';
import { FieldProblem, validateAgainstDto } from '../../service/src/common/validation.js';
import { LoanApplicationDto } from '../../service/src/contract/loan-application.dto.js';
import { sqlString } from '../tables/engine.js';

/**
 * The data contract as the book's SQL: the columns a part must have and of what type, and the one predicate a row
 * must meet to be scored. Both come from the contract's constants, which the API's decorators are built from too;
 * a row that fails the predicate is explained by the API's own validator, so a reject carries the API's message.
 */

/** A part the job cannot read as a book: not Parquet or CSV, a column missing or of the wrong type (exit code 2). */
export class BookInputError extends Error {
  override readonly name = 'BookInputError';
}

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;
const NUMERIC_TYPES =
  /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|FLOAT|DOUBLE|DECIMAL)/;

/** What is wrong with a part's columns (name -> DuckDB type), as one message naming the part and each column. */
export function columnProblems(part: string, columns: Map<string, string>, key: string, format: 'parquet' | 'csv') {
  const problems: string[] = [];
  for (const name of [key, ...INPUT_FIELDS]) {
    const type = columns.get(name);
    if (type === undefined) problems.push(`column ${name} is missing`);
    else if (format === 'parquet' && name in NUMBER_RULES && !NUMERIC_TYPES.test(type))
      problems.push(`column ${name} is ${type}, the contract needs a number`);
    else if (format === 'parquet' && name !== key && !(name in NUMBER_RULES) && type !== 'VARCHAR')
      problems.push(`column ${name} is ${type}, the contract needs text`);
  }
  return problems.length ? `${part}: ${problems.join('; ')}` : null;
}

function numberPredicate(name: string, rule: NumberRule): string {
  const c = quote(name);
  const low = rule.exclusive_min !== undefined ? `${c} > ${rule.exclusive_min}` : `${c} >= ${rule.min}`;
  const integer = rule.type === 'integer' ? ` AND ${c} = floor(${c})` : '';
  return `(${c} IS NOT NULL AND isfinite(${c}) AND ${low} AND ${c} <= ${rule.max}${integer})`;
}

/** The typed columns every part is read as: numbers as DOUBLE (text that is no number becomes null), the rest text. */
export function typedColumns(key: string): string {
  const numbers = Object.keys(NUMBER_RULES).map((n) => `TRY_CAST(${quote(n)} AS DOUBLE) AS ${quote(n)}`);
  const texts = INPUT_FIELDS.filter((n) => !(n in NUMBER_RULES)).map(
    (n) => `CAST(${quote(n)} AS VARCHAR) AS ${quote(n)}`,
  );
  return [`CAST(${quote(key)} AS VARCHAR) AS book_key`, ...numbers, ...texts].join(', ');
}

/** The raw numbers' text, for explaining a reject: a CSV's "abc" is a string the API would refuse as such. */
export const rawNumberColumns = () =>
  Object.keys(NUMBER_RULES)
    .map((n) => `CAST(${quote(n)} AS VARCHAR) AS ${quote(`raw_${n}`)}`)
    .join(', ');

/** A row meets the contract: every number in range (and whole where it must be), every category known, a key. */
export function validRowPredicate(): string {
  const numbers = (Object.entries(NUMBER_RULES) as [NumberField, NumberRule][]).map(([n, rule]) =>
    numberPredicate(n, rule),
  );
  const enums = (Object.entries(ENUM_RULES) as [EnumField, readonly string[]][]).map(
    ([n, values]) => `${quote(n)} IN (${values.map(sqlString).join(', ')})`,
  );
  const grade = `regexp_full_match(${quote(GRADE_FIELD)}, ${sqlString(GRADE_SUBGRADE_PATTERN.source.replace(/^\^|\$$/g, ''))})`;
  return ['book_key IS NOT NULL', `book_key <> ''`, ...numbers, ...enums, grade].join(' AND ');
}

/**
 * The inputs of a valid row as the scoring stream reads them: numbers as DOUBLE, categories as ENUMs of the contract's
 * values (the client then takes each from the type's list instead of decoding its text); null on an invalid row.
 */
export function validInputColumns(): string {
  const grades = [...GRADE_LETTERS].flatMap((letter) => [1, 2, 3, 4, 5].map((digit) => `${letter}${digit}`));
  const enums: Record<string, readonly string[]> = { ...ENUM_RULES, [GRADE_FIELD]: grades };
  return INPUT_FIELDS.map((n) =>
    n in enums
      ? `CASE WHEN book_valid THEN CAST(${quote(n)} AS ENUM(${enums[n].map(sqlString).join(', ')})) END AS ${quote(n)}`
      : quote(n),
  ).join(', ');
}

/** One rejected row as the API would have received it: the fields present, numbers as numbers where they are. */
export function bodyOf(row: Record<string, unknown>): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const name of INPUT_FIELDS) {
    if (name in NUMBER_RULES) {
      const parsed = row[name];
      const raw = row[`raw_${name}`];
      if (typeof parsed === 'number') body[name] = parsed;
      else if (raw !== null && raw !== undefined && raw !== '') body[name] = raw;
    } else if (row[name] !== null && row[name] !== undefined) body[name] = row[name];
  }
  return body;
}

/** The API's problems with a row (class-validator's messages), or the key's when only the key is missing. */
export async function rowProblems(row: Record<string, unknown>, key: string): Promise<FieldProblem[]> {
  const problems = await validateAgainstDto(LoanApplicationDto, bodyOf(row));
  if (row.book_key === null || row.book_key === undefined || row.book_key === '')
    problems.unshift({ field: key, message: `${key} must not be empty` });
  // The two checks are built from the same constants; a row only one of them refuses is reported, never scored.
  if (problems.length === 0) problems.push({ field: 'row', message: 'the row breaks the data contract' });
  return problems;
}
