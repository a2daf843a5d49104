import { Redis } from 'ioredis';

/**
 * A client of the fleet's Redis (REDIS_URL) that never queues commands while Redis is away: a command then
 * fails at once, so a request never waits on an outage, and each caller decides what failing means (rate limits
 * fail open; a referral stays known to its own instance). It keeps trying to come back, at most once a second.
 * `onError` gets the client's errors (without a listener an unreachable Redis is an unhandled 'error' event).
 */
export function fleetRedis(url: string, commandTimeoutMs: number, onError: (error: Error) => void): Redis {
  const redis = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: 1_000,
    commandTimeout: commandTimeoutMs,
    retryStrategy: (attempt) => Math.min(1_000, attempt * 100),
  });
  redis.on('error', onError);
  return redis;
}
