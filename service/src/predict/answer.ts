import type { LoanApplication } from '../contract/loan-application.contract.js';
import type { LoadedModel } from '../model/loaded-model.js';
import { gradeOf } from '../model/master-scale.js';
import { decide, type PolicyDecision, type PolicyOutcome, type ServingPolicy } from '../policy/credit-policy.js';

type AnsweringModel = Pick<LoadedModel, 'threshold' | 'version' | 'masterScale'>;

/**
 * What one application is answered: the model's probability, threshold and rating grade, and the credit policy's
 * decision (the probability is the model's, the decision the policy's).
 */
export interface Answer {
  probability_of_default: number;
  decision: PolicyDecision;
  threshold: number;
  model_version: string;
  rating_grade: string;
  policy_version: string;
  rules_fired: readonly string[];
}

/** One answer, as POST /predict, the book's scoring and the simulated year give it, from the policy's outcome. */
export function answerOf(
  model: AnsweringModel,
  probability: number,
  outcome: PolicyOutcome,
  policyVersion: string,
): Answer {
  return {
    probability_of_default: probability,
    decision: outcome.decision,
    threshold: model.threshold,
    model_version: model.version,
    rating_grade: gradeOf(model.masterScale, probability),
    policy_version: policyVersion,
    rules_fired: outcome.rules_fired,
  };
}

/** The answer under a policy, for callers that need no knock-out's words (the simulated year, the replay's tests). */
export function answerUnder(
  policy: ServingPolicy,
  model: AnsweringModel,
  application: LoanApplication,
  probability: number,
): Answer {
  return answerOf(model, probability, decide(policy, application, probability, model.threshold), policy.policy_version);
}
