import { loadVersion } from '../../service/src/model/load-version.js';
import type { LoadedModel } from '../../service/src/model/loaded-model.js';
import type { ModelStore } from '../../service/src/model/model-store.js';
import { createModelStore } from '../../service/src/model/stores/create-model-store.js';

export interface ModelChoice {
  store: string;
  name: string;
  /** A version, or the channel's version when absent. */
  version?: string;
  channel: string;
}

/**
 * The version a book is scored with, verified as the service verifies one before it takes traffic (sha256, the
 * feature spec against the contract, the canaries reproduced): a book is never scored by an artifact that was not
 * the one evaluated.
 */
export async function loadScoringModel(choice: ModelChoice): Promise<LoadedModel> {
  const store = await createModelStore(choice.store);
  return loadVersion(store, choice.name, await versionOf(store, choice));
}

/** The choice with its version fixed (the channel read now): workers given it all score with one version. */
export async function pinModel(choice: ModelChoice): Promise<ModelChoice> {
  return { ...choice, version: await versionOf(await createModelStore(choice.store), choice) };
}

async function versionOf(store: ModelStore, choice: ModelChoice): Promise<string> {
  if (choice.version) return choice.version;
  const pointer = await store.readChannel(choice.name, choice.channel);
  if (!pointer) throw new Error(`${choice.store}: ${choice.name} has no ${choice.channel} channel`);
  return pointer.version;
}
