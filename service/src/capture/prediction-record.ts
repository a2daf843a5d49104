import { LoanApplication } from '../contract/loan-application.contract.js';

/** One line of the prediction log: what was asked, what was answered, by which model, when. */
export interface PredictionRecord {
  prediction_id: string;
  application_id: string | null;
  inputs: LoanApplication;
  probability_of_default: number;
  decision: 'approve' | 'decline';
  /** The grade of probability_of_default on the version's master scale (absent in records written before). */
  rating_grade?: string;
  threshold: number;
  model_version: string;
  timestamp: string;
  request_id: string | null;
  /** What the shadow version said about the same application, when one was set (it decided nothing). */
  shadow?: { model_version: string; probability_of_default: number; decision: 'approve' | 'decline' };
}
