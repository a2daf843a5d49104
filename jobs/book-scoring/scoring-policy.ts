import type { ServingPolicy } from '../../service/src/policy/credit-policy.js';
import { BUILT_IN_POLICY } from '../../service/src/policy/default-policy.js';
import { PolicyStore } from '../../service/src/policy/policy-store.js';
import { createBlobStore } from '../../service/src/storage/create-blob-store.js';

export interface PolicyChoice {
  /** The store the models are in: policies are published beside them. */
  store: string;
  name: string;
  /** A published version, or the channel's version when absent. */
  version?: string;
  channel: string;
}

/**
 * The credit policy a book is decided by, as a service following the same channel would decide it: the channel's
 * version, read and verified (schema, field rules, every example), or the built-in default (version `default`: the
 * model version's threshold, no rules) when the store has no such channel. A named version must exist and verify;
 * `default` names the built-in one.
 */
export async function loadScoringPolicy(choice: PolicyChoice): Promise<ServingPolicy> {
  if (choice.version === BUILT_IN_POLICY.policy_version) return BUILT_IN_POLICY;
  const policies = new PolicyStore(await createBlobStore(choice.store), choice.name);
  if (choice.version) return policies.read(choice.version);
  const pointer = await policies.readChannel(choice.channel);
  return pointer ? policies.read(pointer.version) : BUILT_IN_POLICY;
}
