/** What a counter hit answers: @nestjs/throttler's ThrottlerStorageRecord (not exported by its package root). */
export interface ThrottlerStorageRecord {
  totalHits: number;
  /** Seconds until the window ends. */
  timeToExpire: number;
  isBlocked: boolean;
  /** Seconds until the block ends. */
  timeToBlockExpire: number;
}

/**
 * Rate-limit counters, in the shape of @nestjs/throttler's ThrottlerStorage (so its stores, such as a Redis
 * one, fit), except that a result may also be synchronous: the in-process store answers at once and the
 * request hook then never awaits (no promise, no microtask turn, per request).
 */
export interface RateLimitStorage {
  increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): ThrottlerStorageRecord | Promise<ThrottlerStorageRecord>;
}

/** The injection token of the counters' storage (one name for the interface and its token, as throttler does). */
export const RATE_LIMIT_STORAGE = Symbol('RATE_LIMIT_STORAGE');
