/** Where reviewers' final decisions are written (DECISION_LOG): a BlobStore, or null when it is off. */
export const DECISION_LOG = Symbol('DECISION_LOG');
