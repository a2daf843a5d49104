import { isMissing, type BlobStore } from '../storage/blob-store.js';
import { timeId } from '../model/time-id.js';
import type { CreditPolicy, ServingPolicy } from './credit-policy.js';
import { policyProblems } from './policy-problems.js';

/**
 * Policies beside the models in a store (a directory or s3://bucket/prefix):
 *   <name>/policies/<version>/policy.json     immutable once published
 *   <name>/policy-channels/<channel>.json      {version, updated_at, previous, forced}
 * A version is the time of publishing and the first digits of the document's sha256, as a model version is.
 */
export interface PolicyPointer {
  version: string;
  updated_at: string;
  previous: string | null;
  /** Promoted without a replay over the last 30 days, by someone who said --force. */
  forced?: boolean;
}

export class PolicyVerificationError extends Error {
  constructor(readonly problems: string[]) {
    super(`the policy fails verification:\n  ${problems.join('\n  ')}`);
  }
}

/** The document as a policy, or a PolicyVerificationError naming every problem it has. */
export async function verifiedPolicy(doc: unknown): Promise<CreditPolicy> {
  const problems = await policyProblems(doc);
  if (problems.length > 0) throw new PolicyVerificationError(problems);
  return doc as CreditPolicy;
}

export class PolicyStore {
  constructor(
    private readonly blobs: BlobStore,
    private readonly name: string,
  ) {}

  get location(): string {
    return this.blobs.location;
  }

  private key = (version: string) => `${this.name}/policies/${version}/policy.json`;
  private channelKey = (channel: string) => `${this.name}/policy-channels/${channel}.json`;

  /** Verifies a policy and writes it as a new immutable version; resolves the version. */
  async publish(doc: unknown, now = new Date()): Promise<string> {
    const { policy_version: _ignored, ...content } = await verifiedPolicy(doc);
    const version = timeId(now, JSON.stringify(content));
    const published: CreditPolicy = { policy_version: version, ...content };
    await this.blobs.put(this.key(version), Buffer.from(JSON.stringify(published, null, 2) + '\n'), {
      ifAbsent: true,
      contentType: 'application/json',
    });
    return version;
  }

  /** A published version, verified again as it is read (a store is written by people and jobs). */
  async read(version: string): Promise<ServingPolicy> {
    const doc = (await verifiedPolicy(
      JSON.parse((await this.blobs.get(this.key(version))).toString('utf8')),
    )) as ServingPolicy;
    if (doc.policy_version !== version) throw new Error(`${this.key(version)} names version ${doc.policy_version}`);
    return doc;
  }

  async readChannel(channel: string): Promise<PolicyPointer | null> {
    try {
      return JSON.parse((await this.blobs.get(this.channelKey(channel))).toString('utf8')) as PolicyPointer;
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
  }

  /** Moves a channel to a published (and verified) version, keeping the one before. */
  async promote(channel: string, version: string, { forced = false, now = new Date() } = {}): Promise<PolicyPointer> {
    await this.read(version);
    const previous = (await this.readChannel(channel))?.version ?? null;
    const pointer: PolicyPointer = { version, updated_at: now.toISOString(), previous, ...(forced ? { forced } : {}) };
    await this.blobs.put(this.channelKey(channel), Buffer.from(JSON.stringify(pointer) + '\n'), {
      contentType: 'application/json',
    });
    return pointer;
  }
}
