import { ExecutionContext, Injectable } from '@nestjs/common';
import { ThrottlerGuard, ThrottlerLimitDetail } from '@nestjs/throttler';
import type { FastifyReply } from 'fastify';
import { createHash } from 'node:crypto';
import { API_KEY_HEADER } from './api-key.guard.js';

/**
 * Rate limits per API key when one is sent (hashed, never kept in clear), else per client IP, with the
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

  protected override async getTracker(request: Record<string, any>): Promise<string> {
    const key = request.headers?.[API_KEY_HEADER];
    if (typeof key === 'string' && key) return `key:${createHash('sha256').update(key).digest('hex').slice(0, 32)}`;
    return `ip:${request.ip}`;
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
