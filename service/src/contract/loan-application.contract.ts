/**
 * The data contract of docs/data-contract.md for TypeScript. The DTO's class-validator decorators are built from these
 * constants; training/loan_default/contract.py states the same for Python and a jest test compares the two.
 */
export const GENDERS = ['Female', 'Male', 'Other'] as const;
export const MARITAL_STATUSES = ['Single', 'Married', 'Divorced', 'Widowed'] as const;
export const EDUCATION_LEVELS = ['High School', "Bachelor's", "Master's", 'PhD', 'Other'] as const;
export const EMPLOYMENT_STATUSES = ['Employed', 'Self-employed', 'Unemployed', 'Retired', 'Student'] as const;
export const LOAN_PURPOSES = [
  'Debt consolidation',
  'Car',
  'Home',
  'Education',
  'Business',
  'Medical',
  'Vacation',
  'Other',
] as const;
export const GRADE_LETTERS = 'ABCDEFG';
export const GRADE_SUBGRADE_PATTERN = /^[A-G][1-5]$/;

export type Gender = (typeof GENDERS)[number];
export type MaritalStatus = (typeof MARITAL_STATUSES)[number];
export type EducationLevel = (typeof EDUCATION_LEVELS)[number];
export type EmploymentStatus = (typeof EMPLOYMENT_STATUSES)[number];
export type LoanPurpose = (typeof LOAN_PURPOSES)[number];

export interface NumberRule {
  type: 'number' | 'integer';
  exclusive_min?: number;
  min?: number;
  max: number;
}

export const NUMBER_RULES = {
  annual_income: { type: 'number', exclusive_min: 0, max: 100_000_000 },
  debt_to_income_ratio: { type: 'number', min: 0, max: 10 },
  credit_score: { type: 'integer', min: 300, max: 850 },
  loan_amount: { type: 'number', exclusive_min: 0, max: 100_000_000 },
  interest_rate: { type: 'number', exclusive_min: 0, max: 100 },
} as const satisfies Record<string, NumberRule>;

export const ENUM_RULES = {
  gender: GENDERS,
  marital_status: MARITAL_STATUSES,
  education_level: EDUCATION_LEVELS,
  employment_status: EMPLOYMENT_STATUSES,
  loan_purpose: LOAN_PURPOSES,
} as const;

export type NumberField = keyof typeof NUMBER_RULES;
export type EnumField = keyof typeof ENUM_RULES;
export const GRADE_FIELD = 'grade_subgrade';

/** Input order as docs/data-contract.md lists it. */
export const INPUT_FIELDS = [
  'annual_income',
  'debt_to_income_ratio',
  'credit_score',
  'loan_amount',
  'interest_rate',
  'gender',
  'marital_status',
  'education_level',
  'employment_status',
  'loan_purpose',
  'grade_subgrade',
] as const;

/** One loan application as the model sees it (the 11 inputs). */
export interface LoanApplication {
  annual_income: number;
  debt_to_income_ratio: number;
  credit_score: number;
  loan_amount: number;
  interest_rate: number;
  gender: Gender;
  marital_status: MaritalStatus;
  education_level: EducationLevel;
  employment_status: EmploymentStatus;
  loan_purpose: LoanPurpose;
  grade_subgrade: string;
}

/** The example application of the API's documentation (the DTO's examples), and of the default credit policy. */
export const EXAMPLE_APPLICATION: LoanApplication = {
  annual_income: 52000,
  debt_to_income_ratio: 0.18,
  credit_score: 702,
  loan_amount: 15000,
  interest_rate: 11.5,
  gender: 'Female',
  marital_status: 'Married',
  education_level: "Bachelor's",
  employment_status: 'Employed',
  loan_purpose: 'Debt consolidation',
  grade_subgrade: 'B3',
};

export const MAX_BATCH = 1000;

/** The contract as plain data, in the shape `python -m loan_default contract` prints. */
export function contractAsJson(): { fields: Record<string, unknown>[]; label: string; id: string } {
  const fields = INPUT_FIELDS.map((name) => {
    if (name in NUMBER_RULES) return { name, ...NUMBER_RULES[name as NumberField] };
    if (name in ENUM_RULES) return { name, type: 'enum', values: [...ENUM_RULES[name as EnumField]] };
    return { name, type: 'string', pattern: GRADE_SUBGRADE_PATTERN.source };
  });
  return { fields, label: 'loan_paid_back', id: 'application_id' };
}
