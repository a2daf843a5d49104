import type { Referral } from './referral-index.js';

/** What a reviewer decides of a referred application. */
export type FinalDecision = 'approve' | 'decline';

/**
 * One reviewer's final decision, as written to DECISION_LOG at `<prediction_id>.json` (once: the write is
 * conditional, so a second decision on any instance of the fleet is refused), beside the prediction it closes.
 */
export interface FinalDecisionRecord {
  prediction_id: string;
  application_id: string | null;
  final_decision: FinalDecision;
  reason_code: string;
  reviewer: string;
  decided_at: string;
  /** What the answer said: the policy referred it. */
  policy_decision: 'refer';
  /** What the model's probability alone would have said (decline from the version's threshold). */
  model_decision: FinalDecision;
  /** The final decision differs from the model's alone. */
  override: boolean;
  probability_of_default: number;
  threshold: number;
  model_version: string;
  policy_version: string;
  rules_fired: readonly string[];
  answered_at: string;
}

export function finalDecisionRecord(
  referral: Referral,
  review: { final_decision: FinalDecision; reason_code: string },
  reviewer: string,
  now: Date,
): FinalDecisionRecord {
  const modelDecision: FinalDecision = referral.probability_of_default >= referral.threshold ? 'decline' : 'approve';
  return {
    prediction_id: referral.prediction_id,
    application_id: referral.application_id,
    final_decision: review.final_decision,
    reason_code: review.reason_code,
    reviewer,
    decided_at: now.toISOString(),
    policy_decision: 'refer',
    model_decision: modelDecision,
    override: review.final_decision !== modelDecision,
    probability_of_default: referral.probability_of_default,
    threshold: referral.threshold,
    model_version: referral.model_version,
    policy_version: referral.policy_version,
    rules_fired: referral.rules_fired,
    answered_at: new Date(referral.answered_at).toISOString(),
  };
}
