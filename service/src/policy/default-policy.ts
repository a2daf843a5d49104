import { EXAMPLE_APPLICATION } from '../contract/loan-application.contract.js';
import type { CreditPolicy, ServingPolicy } from './credit-policy.js';

/**
 * The policy that decides as the service always has: no knock-outs, no refer band, decline from the serving
 * version's threshold: the rule the service decides by today.
 */
export const DEFAULT_POLICY: CreditPolicy = {
  description:
    "Decline when probability_of_default reaches the model version's threshold; no knock-outs, no refer band",
  knock_outs: [],
  cutoffs: { default: { approve_below: 'model_threshold', decline_from: 'model_threshold' } },
  examples: [
    {
      application: { ...EXAMPLE_APPLICATION },
      probability_of_default: 0.1,
      model_threshold: 0.242,
      decision: 'approve',
      rules_fired: [],
    },
    {
      application: { ...EXAMPLE_APPLICATION },
      probability_of_default: 0.242,
      model_threshold: 0.242,
      decision: 'decline',
      rules_fired: [],
    },
  ],
};

/** The version a service answers with while its store has no policy channel: the default, built in. */
export const BUILT_IN_POLICY: ServingPolicy = { policy_version: 'default', ...DEFAULT_POLICY };
