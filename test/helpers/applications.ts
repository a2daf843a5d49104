import {
  EDUCATION_LEVELS,
  EMPLOYMENT_STATUSES,
  EXAMPLE_APPLICATION,
  GENDERS,
  GRADE_LETTERS,
  LOAN_PURPOSES,
  LoanApplication,
  MARITAL_STATUSES,
} from '../../service/src/contract/loan-application.contract.js';
import { seededRandom } from '../../jobs/seeded-random.js';

/** A valid application (the Swagger example). */
export const VALID_APPLICATION: LoanApplication = EXAMPLE_APPLICATION;

export const withField = (field: string, value: unknown): Record<string, unknown> => ({
  ...VALID_APPLICATION,
  [field]: value,
});

export function withoutField(field: string): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...VALID_APPLICATION };
  delete copy[field];
  return copy;
}

/** One broken rule per row: [field, bad value or undefined for missing, words the message must contain]. */
export const BROKEN_RULES: [string, unknown, string][] = [
  ['annual_income', undefined, 'annual_income is required'],
  ['annual_income', '52000', 'annual_income must be a finite number'],
  ['annual_income', 0, 'annual_income must be > 0'],
  ['annual_income', -5, 'annual_income must be > 0'],
  ['annual_income', 100_000_001, 'annual_income must be > 0 and <= 100000000'],
  ['debt_to_income_ratio', -0.01, 'debt_to_income_ratio must be >= 0 and <= 10'],
  ['debt_to_income_ratio', 10.5, 'debt_to_income_ratio must be >= 0 and <= 10'],
  ['debt_to_income_ratio', null, 'debt_to_income_ratio is required'],
  ['credit_score', 'abc', 'credit_score must be an integer'],
  ['credit_score', 700.5, 'credit_score must be an integer'],
  ['credit_score', 299, 'credit_score must be >= 300 and <= 850'],
  ['credit_score', 851, 'credit_score must be >= 300 and <= 850'],
  ['loan_amount', 0, 'loan_amount must be > 0'],
  ['loan_amount', 1e9, 'loan_amount must be > 0 and <= 100000000'],
  ['interest_rate', 0, 'interest_rate must be > 0 and <= 100'],
  ['interest_rate', 101, 'interest_rate must be > 0 and <= 100'],
  ['interest_rate', true, 'interest_rate must be a finite number'],
  ['gender', 'female', 'gender must be one of: Female, Male, Other'],
  ['gender', 1, 'gender must be a string'],
  ['marital_status', 'Single ', 'marital_status must be one of: Single, Married, Divorced, Widowed'],
  ['education_level', 'Bachelors', "education_level must be one of: High School, Bachelor's, Master's, PhD, Other"],
  ['employment_status', 'employed', 'employment_status must be one of: Employed, Self-employed'],
  ['loan_purpose', 'Holiday', 'loan_purpose must be one of: Debt consolidation, Car'],
  ['grade_subgrade', 'H1', 'grade_subgrade must be a letter A-G followed by a digit 1-5'],
  ['grade_subgrade', 'A6', 'grade_subgrade must be a letter A-G followed by a digit 1-5'],
  ['grade_subgrade', 'a1', 'grade_subgrade must be a letter A-G followed by a digit 1-5'],
  ['grade_subgrade', ['A1'], 'grade_subgrade must be a string'],
  ['application_id', '', 'application_id must be 1 to 128 characters'],
  ['application_id', 42, 'application_id must be a string'],
];

/** A seeded generator of numbers in [0, 1), so a failing test can be replayed. */
export { seededRandom };

/** A random valid application from a seeded generator (rates and amounts in realistic ranges, every enum value). */
export function randomApplications(count: number, seed: number): LoanApplication[] {
  const next = seededRandom(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)];
  const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;
  return Array.from({ length: count }, () => ({
    annual_income: round(8000 + next() * 200_000, 2),
    debt_to_income_ratio: round(next() * 0.8, 3),
    credit_score: 300 + Math.floor(next() * 551),
    loan_amount: round(500 + next() * 50_000, 2),
    interest_rate: round(3 + next() * 22, 2),
    gender: pick(GENDERS),
    marital_status: pick(MARITAL_STATUSES),
    education_level: pick(EDUCATION_LEVELS),
    employment_status: pick(EMPLOYMENT_STATUSES),
    loan_purpose: pick(LOAN_PURPOSES),
    grade_subgrade: `${pick([...GRADE_LETTERS])}${1 + Math.floor(next() * 5)}`,
  }));
}
