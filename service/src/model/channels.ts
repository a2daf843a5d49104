import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { verifyArtifactFiles } from './verify-artifact.js';
import {
  CHALLENGER_CHANNELS,
  ChallengerChannel,
  ChallengerPointer,
  ChannelPointer,
  MANIFEST_FILE,
  MAX_CANARY_WEIGHT,
  MODEL_CARD_FILE,
  MODEL_FILE,
  ModelManifest,
  TREES_FILE,
} from './manifest.js';
import { ModelStore } from './model-store.js';

/** Channel moves shared by the command line and the admin API. */
export async function promote(
  store: ModelStore,
  name: string,
  channel: string,
  version: string,
): Promise<ChannelPointer> {
  const versions = await store.listVersions(name);
  if (!versions.includes(version)) {
    throw new Error(
      `version ${version} of ${name} is not in ${store.location} (have: ${versions.join(', ') || 'none'})`,
    );
  }
  const current = await store.readChannel(name, channel);
  const pointer: ChannelPointer = {
    version,
    updated_at: new Date().toISOString(),
    previous: current && current.version !== version ? current.version : (current?.previous ?? null),
  };
  await store.writeChannel(name, channel, pointer);
  // A challenger that has become production is a challenger no more.
  if (channel === 'production') {
    for (const challenger of CHALLENGER_CHANNELS) {
      if ((await readChallenger(store, name, challenger))?.version === version)
        await setChallenger(store, name, challenger, null);
    }
  }
  return pointer;
}

export async function readChallenger(
  store: ModelStore,
  name: string,
  channel: ChallengerChannel,
): Promise<ChallengerPointer | null> {
  return (await store.readChannel(name, channel)) as ChallengerPointer | null;
}

/**
 * Points the shadow or canary channel at a version (canary: with the share of applications it answers, above 0
 * and at most MAX_CANARY_WEIGHT), or clears it (version null).
 */
export async function setChallenger(
  store: ModelStore,
  name: string,
  channel: ChallengerChannel,
  version: string | null,
  weight?: number,
): Promise<ChallengerPointer> {
  if (version !== null) {
    const versions = await store.listVersions(name);
    if (!versions.includes(version)) throw new Error(`version ${version} of ${name} is not in ${store.location}`);
  }
  const pointer: ChallengerPointer = { version, updated_at: new Date().toISOString() };
  if (channel === 'canary' && version !== null) {
    if (!(typeof weight === 'number' && weight > 0 && weight <= MAX_CANARY_WEIGHT)) {
      throw new Error(`a canary needs a weight above 0 and at most ${MAX_CANARY_WEIGHT}, got ${weight}`);
    }
    pointer.weight = weight;
  }
  await store.writeChannel(name, channel, pointer);
  return pointer;
}

export async function rollback(store: ModelStore, name: string, channel: string): Promise<ChannelPointer> {
  const current = await store.readChannel(name, channel);
  if (!current) throw new Error(`channel ${name}/${channel} does not exist in ${store.location}`);
  if (!current.previous) throw new Error(`channel ${name}/${channel} has no previous version to roll back to`);
  return promote(store, name, channel, current.previous);
}

export interface VersionSummary {
  version: string;
  created_at: string | null;
  metrics: ModelManifest['metrics'] | null;
  threshold: number | null;
}

export async function describeVersions(store: ModelStore, name: string): Promise<VersionSummary[]> {
  const versions = await store.listVersions(name);
  return Promise.all(
    versions.map(async (version) => {
      try {
        const manifest = JSON.parse(
          (await store.readVersionFile(name, version, MANIFEST_FILE)).toString('utf8'),
        ) as ModelManifest;
        return {
          version,
          created_at: manifest.created_at,
          metrics: manifest.metrics,
          threshold: manifest.threshold?.value ?? null,
        };
      } catch {
        return { version, created_at: null, metrics: null, threshold: null };
      }
    }),
  );
}

/**
 * Reads a version directory as training leaves it: model.onnx and manifest.json, and the card and trees when present.
 */
export async function readArtifactDir(dir: string): Promise<Record<string, Buffer>> {
  const files: Record<string, Buffer> = {
    [MODEL_FILE]: await readFile(path.join(dir, MODEL_FILE)),
    [MANIFEST_FILE]: await readFile(path.join(dir, MANIFEST_FILE)),
  };
  for (const optional of [MODEL_CARD_FILE, TREES_FILE]) {
    const bytes = await readFile(path.join(dir, optional)).catch(() => null);
    if (bytes) files[optional] = bytes;
  }
  return files;
}

/**
 * Publishes a version only after ONNX Runtime has proved it (sha256, feature spec, canaries): the bytes
 * that reach the store are the bytes that were checked. Returns the manifest.
 */
export async function publishVerified(
  store: ModelStore,
  files: Record<string, Buffer>,
  name?: string,
): Promise<ModelManifest> {
  const manifest = JSON.parse(files[MANIFEST_FILE].toString('utf8')) as ModelManifest;
  if (name && manifest.name !== name) throw new Error(`the artifact is for model '${manifest.name}', not '${name}'`);
  const model = await verifyArtifactFiles(files);
  await model.release();
  await store.publish(manifest.name, manifest.version, files);
  return manifest;
}
