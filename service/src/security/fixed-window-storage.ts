import { RateLimitStorage, ThrottlerStorageRecord } from './throttler-storage.interface.js';

interface Window {
  startedAt: number;
  hits: number;
  blockedUntil: number;
}

/**
 * Rate-limit counters in O(1) per request: one fixed window per client and throttler. @nestjs/throttler's
 * default in-memory storage keeps one timestamp per hit and filters that list on every request, which grows
 * with the limit and made it the costliest step of /predict at a few thousand requests a second.
 */
export class FixedWindowThrottlerStorage implements RateLimitStorage {
  private readonly windows = new Map<string, Window>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(sweepEveryMs = 60_000) {
    this.sweeper = setInterval(() => this.sweep(), sweepEveryMs);
    this.sweeper.unref();
  }

  /** Synchronous: the request hook uses the answer without awaiting. */
  increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): ThrottlerStorageRecord {
    const now = Date.now();
    const id = `${throttlerName}:${key}`;
    let window = this.windows.get(id);
    if (!window || now - window.startedAt >= ttl) {
      window = { startedAt: now, hits: 0, blockedUntil: window?.blockedUntil ?? 0 };
      this.windows.set(id, window);
    }
    window.hits++;
    if (window.hits > limit && window.blockedUntil <= now)
      window.blockedUntil = now + (blockDuration > 0 ? blockDuration : window.startedAt + ttl - now);
    const isBlocked = window.blockedUntil > now;
    return {
      totalHits: window.hits,
      timeToExpire: Math.max(0, Math.ceil((window.startedAt + ttl - now) / 1000)),
      isBlocked,
      timeToBlockExpire: isBlocked ? Math.max(1, Math.ceil((window.blockedUntil - now) / 1000)) : 0,
    };
  }

  private sweep(): void {
    const now = Date.now();
    for (const [id, window] of this.windows) {
      if (window.blockedUntil <= now && now - window.startedAt > 3_600_000) this.windows.delete(id);
    }
  }
}
