import { Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { LogThrottle } from '../logging/log-throttle.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { fleetRedis } from '../storage/fleet-redis.js';
import type { Referral } from './referral-index.js';

/** Writes to Redis not yet answered, at most: past it new referrals are not shared (counted), never queued. */
const MAX_IN_FLIGHT = 1_000;
const KEY = (predictionId: string) => `loan-default:referral:${predictionId}`;

/**
 * The referrals of a fleet in Redis (REDIS_URL, the rate limits' store), so that a reviewer's call reaches
 * whichever instance the load balancer picks: each instance shares the referrals it answers (one pipelined SET
 * with an expiry per request, after the answer, never awaited on the request's path) and looks up the ones it
 * did not answer. Like the rate limits, the client never queues commands while Redis is away: a share fails at
 * once (counted, logged at a limited rate) and the referral stays known to its own instance.
 */
export class SharedReferrals {
  private readonly logger = new Logger(SharedReferrals.name);
  private readonly throttle = new LogThrottle(10_000);
  private readonly redis: Redis;
  private inFlight = 0;

  constructor(
    url: string,
    private readonly ttlS: number,
    private readonly metrics: MetricsService,
  ) {
    this.redis = fleetRedis(url, 500, (error) => this.failed(error));
  }

  share(referrals: readonly Referral[]): void {
    if (referrals.length === 0) return;
    if (this.inFlight >= MAX_IN_FLIGHT) {
      this.metrics.referralShareFailures.inc({ reason: 'backlog' }, referrals.length);
      return;
    }
    this.inFlight++;
    const pipeline = this.redis.pipeline();
    for (const referral of referrals)
      pipeline.set(KEY(referral.prediction_id), JSON.stringify({ ...referral, state: 'open' }), 'EX', this.ttlS);
    pipeline
      .exec()
      .then((results) => {
        const errors = (results ?? []).flatMap(([error]) => (error ? [error] : []));
        if (errors.length > 0) this.failed(errors[0], errors.length);
      })
      .catch((error: Error) => this.failed(error, referrals.length))
      .finally(() => this.inFlight--);
  }

  /** A referral another instance shared, or null; rejects when Redis cannot answer (the caller says 503). */
  async find(predictionId: string): Promise<Referral | null> {
    const text = await this.redis.get(KEY(predictionId));
    return text === null ? null : (JSON.parse(text) as Referral);
  }

  /** Redis failed: the referrals it did not take are counted, and the fault logged at a limited rate. */
  private failed(error: Error, referrals = 0): void {
    if (referrals > 0) this.metrics.referralShareFailures.inc({ reason: 'error' }, referrals);
    this.throttle.run('redis-referrals', (suppressed) =>
      this.logger.warn({
        message: 'redis unreachable; referrals are known to the instance that answered them only',
        reason: error.message,
        suppressed,
      }),
    );
  }

  /** Nest calls this on shutdown (the provider's instance has it). */
  onModuleDestroy(): void {
    this.redis.disconnect(false);
  }
}
