/**
 * What a move to a channel's version did, for a model (ModelService) or a credit policy (PolicyService): the admin
 * routes answer it (admin/refresh-answer.ts), a failure as a 422.
 */
export type RefreshOutcome =
  | { status: 'unchanged'; version: string | null }
  | { status: 'swapped'; version: string; previous: string | null }
  | { status: 'failed'; version: string | null; reason: string; serving: string | null };

/** An admin's move to a named model version: also 'not_found' when the store has no such version. */
export type ActivateOutcome = RefreshOutcome | { status: 'not_found'; version: string };
