import { Logger } from '@nestjs/common';
import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import type { Redis } from 'ioredis';
import { LogThrottle } from '../logging/log-throttle.js';
import { fleetRedis } from '../storage/fleet-redis.js';
import { RateLimitStorage, ThrottlerStorageRecord } from './throttler-storage.interface.js';

/**
 * Fleet-wide counters in Redis through @nest-lab/throttler-storage-redis (one Lua script per hit, atomic across
 * instances). The library blocks a key for blockDuration once it passes the limit, then starts its count again;
 * it is given the window itself (a minute): a client over the limit waits up to a minute from the hit that
 * crossed it, where the in-process store waits for the end of its fixed window. (A shorter block does not give
 * the fixed window: a hit in the block's last millisecond resets the count, measured in the fleet test.)
 * The client never queues commands while Redis is away: a hit then fails at once and the request gate lets
 * the request through (fail open, counted and logged there).
 */
export class RedisRateLimitStorage implements RateLimitStorage {
  private readonly logger = new Logger(RedisRateLimitStorage.name);
  private readonly throttle = new LogThrottle(10_000);
  private readonly redis: Redis;
  private readonly store: ThrottlerStorageRedisService;

  constructor(url: string) {
    this.redis = fleetRedis(url, 200, (error) =>
      this.throttle.run('redis', (suppressed) =>
        this.logger.warn({ message: 'redis unreachable; rate limits fail open', reason: error.message, suppressed }),
      ),
    );
    this.store = new ThrottlerStorageRedisService(this.redis);
  }

  increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    return this.store.increment(key, ttl, limit, blockDuration > 0 ? blockDuration : ttl, throttlerName);
  }

  /** Nest calls this on shutdown (the provider's instance has it). */
  onModuleDestroy(): void {
    this.redis.disconnect(false);
  }
}
