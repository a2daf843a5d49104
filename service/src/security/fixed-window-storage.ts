import { RateLimitStorage, ThrottlerStorageRecord } from './throttler-storage.interface.js';

interface Window {
  startedAt: number;
  endsAt: number;
  hits: number;
  blockedUntil: number;
}

/** Counters kept at most: past it, ended windows are dropped, then the oldest (about 400 bytes of heap each). */
export const MAX_WINDOWS = 100_000;

/**
 * Rate-limit counters in O(1) per request: one fixed window per client and throttler. @nestjs/throttler's
 * default in-memory storage keeps one timestamp per hit and filters that list on every request, which grows
 * with the limit and made it the costliest step of /predict at a few thousand requests a second.
 *
 * Memory is bounded whatever the number of clients: a window is dropped once it has ended (and its block, if
 * any), swept every minute, and the map holds at most `maxWindows`; a new client past that first sweeps, then
 * evicts the oldest window (that client's count starts over, which errs toward letting it through). Kept for an
 * hour with no cap, a million distinct addresses cost 379 MiB, past the image's 160 MB heap at about 400,000.
 */
export class FixedWindowThrottlerStorage implements RateLimitStorage {
  private readonly windows = new Map<string, Window>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    sweepEveryMs = 60_000,
    private readonly maxWindows = MAX_WINDOWS,
    private readonly now: () => number = Date.now,
  ) {
    this.sweeper = setInterval(() => this.sweep(), sweepEveryMs);
    this.sweeper.unref();
  }

  get size(): number {
    return this.windows.size;
  }

  /** Synchronous: the request hook uses the answer without awaiting. */
  increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): ThrottlerStorageRecord {
    const now = this.now();
    const id = `${throttlerName}:${key}`;
    let window = this.windows.get(id);
    if (!window || now >= window.endsAt) {
      const blockedUntil = window?.blockedUntil ?? 0;
      if (window) this.windows.delete(id);
      else if (this.windows.size >= this.maxWindows) this.makeRoom(now);
      window = { startedAt: now, endsAt: now + ttl, hits: 0, blockedUntil };
      // Re-inserted, so the map's order stays the order in which windows started (oldest first).
      this.windows.set(id, window);
    }
    window.hits++;
    if (window.hits > limit && window.blockedUntil <= now)
      window.blockedUntil = now + (blockDuration > 0 ? blockDuration : window.endsAt - now);
    const isBlocked = window.blockedUntil > now;
    return {
      totalHits: window.hits,
      timeToExpire: Math.max(0, Math.ceil((window.endsAt - now) / 1000)),
      isBlocked,
      timeToBlockExpire: isBlocked ? Math.max(1, Math.ceil((window.blockedUntil - now) / 1000)) : 0,
    };
  }

  /** Drops every window that has ended and is not blocking. */
  sweep(now = this.now()): void {
    for (const [id, window] of this.windows) {
      if (now >= window.endsAt && window.blockedUntil <= now) this.windows.delete(id);
    }
  }

  private makeRoom(now: number): void {
    this.sweep(now);
    // Still full: every window is live. The oldest go first (a quarter at a time, so this runs rarely).
    if (this.windows.size < this.maxWindows) return;
    let evict = Math.max(1, Math.floor(this.maxWindows / 4));
    for (const id of this.windows.keys()) {
      this.windows.delete(id);
      if (--evict === 0) break;
    }
  }
}
