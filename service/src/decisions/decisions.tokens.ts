/** Where reviewers' final decisions are written (DECISION_LOG): a BlobStore, or null when it is off. */
export const DECISION_LOG = Symbol('DECISION_LOG');

/** The fleet's shared referrals (SharedReferrals over REDIS_URL), or null for an instance on its own. */
export const SHARED_REFERRALS = Symbol('SHARED_REFERRALS');
