import type { CreditPolicy } from './credit-policy.js';

const EXAMPLE = {
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
} as const;

/**
 * The policy that decides as the service always has: no knock-outs, no refer band, decline from the serving
 * version's threshold. A store without a policy of its own serves this one.
 */
export const DEFAULT_POLICY: CreditPolicy = {
  description:
    "Decline when probability_of_default reaches the model version's threshold; no knock-outs, no refer band",
  knock_outs: [],
  cutoffs: { default: { approve_below: 'model_threshold', decline_from: 'model_threshold' } },
  examples: [
    {
      application: { ...EXAMPLE },
      probability_of_default: 0.1,
      model_threshold: 0.242,
      decision: 'approve',
      rules_fired: [],
    },
    {
      application: { ...EXAMPLE },
      probability_of_default: 0.242,
      model_threshold: 0.242,
      decision: 'decline',
      rules_fired: [],
    },
  ],
};
