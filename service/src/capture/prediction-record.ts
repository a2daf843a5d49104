import { LoanApplication } from '../contract/loan-application.contract.js';
import type { PolicyDecision } from '../policy/credit-policy.js';

/** One line of the prediction log: what was asked, what was answered, by which model, when. */
export interface PredictionRecord {
  prediction_id: string;
  application_id: string | null;
  inputs: LoanApplication;
  probability_of_default: number;
  decision: PolicyDecision;
  /** The grade of probability_of_default on the version's master scale (absent in records written before). */
  rating_grade?: string;
  threshold: number;
  model_version: string;
  timestamp: string;
  request_id: string | null;
  /** The credit policy version that decided, and its rules that fired (absent in records written before). */
  policy_version?: string;
  rules_fired?: string[];
  /** What the shadow version said of the same application, under the same policy (it decided nothing). */
  shadow?: { model_version: string; probability_of_default: number; decision: PolicyDecision };
}
