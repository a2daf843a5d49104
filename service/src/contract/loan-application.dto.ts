import type {
  EducationLevel,
  EmploymentStatus,
  Gender,
  LoanApplication,
  LoanPurpose,
  MaritalStatus,
} from './loan-application.contract.js';
import { ContractEnum, ContractGrade, ContractNumber, OptionalApplicationId } from './contract-decorators.js';

/** POST /predict body: one application. Unknown fields are rejected by the global ValidationPipe. */
export class LoanApplicationDto implements LoanApplication {
  @ContractNumber('annual_income', 52000, 'Gross yearly income.')
  annual_income!: number;

  @ContractNumber('debt_to_income_ratio', 0.18, 'Monthly debt payments / monthly income, as a ratio (not a percent).')
  debt_to_income_ratio!: number;

  @ContractNumber('credit_score', 702, 'Credit score, an integer.')
  credit_score!: number;

  @ContractNumber('loan_amount', 15000, 'Amount requested.')
  loan_amount!: number;

  @ContractNumber('interest_rate', 11.5, 'Yearly interest rate in percent.')
  interest_rate!: number;

  @ContractEnum('gender', 'Female', 'Gender.')
  gender!: Gender;

  @ContractEnum('marital_status', 'Married', 'Marital status.')
  marital_status!: MaritalStatus;

  @ContractEnum('education_level', "Bachelor's", 'Highest education level.')
  education_level!: EducationLevel;

  @ContractEnum('employment_status', 'Employed', 'Employment status.')
  employment_status!: EmploymentStatus;

  @ContractEnum('loan_purpose', 'Debt consolidation', 'Purpose of the loan.')
  loan_purpose!: LoanPurpose;

  @ContractGrade('B3')
  grade_subgrade!: string;

  @OptionalApplicationId()
  application_id?: string;
}
