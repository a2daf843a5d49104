import { LoanApplication } from '../contract/loan-application.contract.js';
import type { LoadedModel } from '../model/loaded-model.js';
import type { PolicyDecision, ServingPolicy } from '../policy/credit-policy.js';

/** One answer as a client received it. */
export interface ScoredAnswer {
  prediction_id: string;
  probability_of_default: number;
  decision: PolicyDecision;
  threshold: number;
  model_version: string;
  rating_grade?: string;
  policy_version: string;
  rules_fired: readonly string[];
  application_id?: string;
}

/**
 * What one scoring call announces once it has answered: the applications, their answers in the same order,
 * the raw scores and the model version that made them. Listeners run synchronously on the request's path,
 * so each must only record (a few typed-array writes), never wait on I/O.
 */
export interface ScoredEvent {
  applications: readonly LoanApplication[];
  answers: readonly ScoredAnswer[];
  scores: Float32Array;
  model: LoadedModel;
  /** production, or the canary challenger that answered instead (drift and fairness watch production only). */
  role: 'production' | 'canary';
  /** When it was answered, in epoch milliseconds. */
  time: number;
  requestId: string | null;
  /** The credit policy that decided (the challengers' answers are decided by it too). */
  policy: ServingPolicy;
}

/**
 * What the shadow version said about applications production answered (announced when its scores arrive, after
 * the answers have gone): both versions' probabilities and decisions, in the applications' order.
 */
export interface ShadowScoredEvent {
  production: { version: string; threshold: number; scores: ArrayLike<number> };
  shadow: { version: string; threshold: number; scores: ArrayLike<number> };
  applications: readonly LoanApplication[];
  /** The policy that decided production's answers: the shadow's are decided under it too. */
  policy: ServingPolicy;
}
