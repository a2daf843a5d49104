import { LoanApplication } from '../contract/loan-application.contract.js';

/**
 * The credit policy as data: knock-out rules over the inputs, cut-offs on probability_of_default giving approve,
 * refer or decline (a refer band where a person reviews), optionally by segment, and examples every version must
 * decide as stated. The model gives the probability; the policy gives the decision. docs/credit-policy.schema.json
 * is its JSON Schema.
 */
export type PolicyDecision = 'approve' | 'refer' | 'decline';
export type PolicyOperator = '>' | '>=' | '<' | '<=' | '==' | '!=' | 'in' | 'not_in';
export const POLICY_OPERATORS: readonly PolicyOperator[] = ['>', '>=', '<', '<=', '==', '!=', 'in', 'not_in'];

/** A rule that declines whatever the model says, with the words an applicant reads. */
export interface KnockOut {
  code: string;
  field: keyof LoanApplication;
  operator: PolicyOperator;
  value: number | string | (number | string)[];
  text: string;
}

/** `model_threshold`: the serving version's own threshold (the policy then follows each version's). */
export type CutoffValue = number | 'model_threshold';

/** Approve below `approve_below`, decline from `decline_from`, refer in between (no band when they are equal). */
export interface Cutoff {
  approve_below: CutoffValue;
  decline_from: CutoffValue;
}

/** Applications of one segment: a category's values, or a number's band [min, max). */
export interface Segment {
  name: string;
  field: keyof LoanApplication;
  in?: string[];
  min?: number;
  max?: number;
  cutoff: Cutoff;
}

export interface PolicyExample {
  application: LoanApplication;
  probability_of_default: number;
  /** The threshold `model_threshold` stands for in this example. */
  model_threshold?: number;
  decision: PolicyDecision;
  rules_fired?: string[];
}

export interface CreditPolicy {
  /** Given at publish (immutable once published); absent in a file not yet published. */
  policy_version?: string;
  description: string;
  knock_outs: KnockOut[];
  cutoffs: { default: Cutoff; segments?: Segment[] };
  examples: PolicyExample[];
}

/** A published policy (or the built-in default): what a service decides by. */
export type ServingPolicy = CreditPolicy & { policy_version: string };

export interface PolicyOutcome {
  decision: PolicyDecision;
  /** The knock-outs that fired, then the segment whose cut-off decided (as `segment:<name>`), if any. */
  rules_fired: readonly string[];
  /** The knock-outs that fired, with their applicant-facing words (a decline's reasons lead with them). */
  knock_outs: readonly KnockOut[];
}

// Shared by every answer no rule touched: the request path makes no arrays for them.
const NONE: readonly never[] = Object.freeze([]);

function fires(rule: KnockOut, application: LoanApplication): boolean {
  const actual = application[rule.field] as number | string;
  const value = rule.value;
  // Ordered operators apply to number fields only (verification refuses them on text).
  const n = actual as number;
  switch (rule.operator) {
    case '>':
      return n > (value as number);
    case '>=':
      return n >= (value as number);
    case '<':
      return n < (value as number);
    case '<=':
      return n <= (value as number);
    case '==':
      return actual === value;
    case '!=':
      return actual !== value;
    case 'in':
      return (value as (number | string)[]).includes(actual);
    case 'not_in':
      return !(value as (number | string)[]).includes(actual);
  }
}

/** Whether an application falls in a segment (a category among `in`, or a number in [min, max)). */
export function inSegment(segment: Segment, application: LoanApplication): boolean {
  const actual = application[segment.field] as number | string;
  if (segment.in) return segment.in.includes(actual as string);
  const n = actual as number;
  return (segment.min === undefined || n >= segment.min) && (segment.max === undefined || n < segment.max);
}

const resolve = (value: CutoffValue, modelThreshold: number) => (value === 'model_threshold' ? modelThreshold : value);

/** The policy's decision for one application and the probability the model gave it. */
export function decide(
  policy: CreditPolicy,
  application: LoanApplication,
  probability: number,
  modelThreshold: number,
): PolicyOutcome {
  if (policy.knock_outs.length > 0) {
    const knockOuts = policy.knock_outs.filter((rule) => fires(rule, application));
    if (knockOuts.length > 0)
      return { decision: 'decline', rules_fired: knockOuts.map((rule) => rule.code), knock_outs: knockOuts };
  }
  const segments = policy.cutoffs.segments;
  const segment = segments && segments.length > 0 ? segments.find((s) => inSegment(s, application)) : undefined;
  const cutoff = segment?.cutoff ?? policy.cutoffs.default;
  const decision: PolicyDecision =
    probability < resolve(cutoff.approve_below, modelThreshold)
      ? 'approve'
      : probability >= resolve(cutoff.decline_from, modelThreshold)
        ? 'decline'
        : 'refer';
  return { decision, rules_fired: segment ? [`segment:${segment.name}`] : NONE, knock_outs: NONE };
}
