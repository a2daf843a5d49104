import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * Configured secrets (API keys, the admin token), hashed once at startup. A given value is hashed once and
 * compared with every secret in constant time (equal-length digests), so timing tells nothing about which
 * secrets exist or how much of one matched.
 */
export class SecretSet {
  private readonly digests: Buffer[];
  /** A stable, non-secret name per secret (for rate-limit buckets): a prefix of its digest. */
  readonly ids: string[];

  constructor(secrets: readonly string[]) {
    this.digests = secrets.map(digest);
    this.ids = this.digests.map((d) => d.toString('hex').slice(0, 16));
  }

  get size(): number {
    return this.digests.length;
  }

  /** The index of the matching secret, or -1. */
  indexOf(given: string): number {
    const candidate = digest(given);
    let found = -1;
    this.digests.forEach((d, i) => {
      if (timingSafeEqual(candidate, d) && found === -1) found = i;
    });
    return found;
  }
}
