import { ExecutionContext, Injectable } from '@nestjs/common';
import { ThrottlerGuard, ThrottlerLimitDetail } from '@nestjs/throttler';
import type { FastifyReply } from 'fastify';
import { CLIENT_ID } from './api-key.guard.js';

/**
 * Rate limits per authenticated client (the API key ApiKeyGuard accepted), else per client IP, with the
 * throttlers, storage and error of ThrottlerModule. The routes it guards take the module's limits as they are
 * (no @Throttle or @SkipThrottle), so canActivate goes straight to the counters: the stock guard resolves
 * those decorators on every request (a handful of reflect-metadata lookups), which measured as the single
 * largest cost of /predict (about a third of its throughput).
 */
@Injectable()
export class ClientThrottlerGuard extends ThrottlerGuard {
  override async canActivate(context: ExecutionContext): Promise<boolean> {
    if (await this.commonOptions.skipIf?.(context)) return true;
    const tracker = await this.getTracker(context.switchToHttp().getRequest());
    for (const throttler of this.throttlers) {
      const name = throttler.name ?? 'default';
      const limit = Number(throttler.limit);
      const ttl = Number(throttler.ttl);
      const key = this.generateKey(context, tracker, name);
      const record = await this.storageService.increment(key, ttl, limit, Number(throttler.blockDuration ?? 0), name);
      if (record.isBlocked) await this.throwThrottlingException(context, { limit, ttl, key, tracker, ...record });
    }
    return true;
  }

  /**
   * Only a key that was checked counts: an unchecked x-api-key (API_KEYS unset) would let a client open a
   * fresh budget, and a fresh counter, with every request.
   */
  protected override async getTracker(request: Record<string | symbol, any>): Promise<string> {
    return request[CLIENT_ID] ?? `ip:${request.ip}`;
  }

  /** One budget per client across the routes it guards; a plain key (the default hashes route and client per request). */
  protected override generateKey(_context: ExecutionContext, tracker: string, throttlerName: string): string {
    return `${throttlerName}:${tracker}`;
  }

  /** Retry-After on every 429, even though the per-answer X-RateLimit-* headers are off. */
  protected override async throwThrottlingException(context: ExecutionContext, detail: ThrottlerLimitDetail): Promise<void> {
    void context.switchToHttp().getResponse<FastifyReply>().header('retry-after', String(detail.timeToBlockExpire));
    return super.throwThrottlingException(context, detail);
  }
}
