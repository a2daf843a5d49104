import { ExecutionContext, Injectable } from '@nestjs/common';
import { ThrottlerGuard, ThrottlerLimitDetail } from '@nestjs/throttler';
import type { FastifyReply } from 'fastify';
import { createHash } from 'node:crypto';
import { API_KEY_HEADER } from './api-key.guard.js';

/** Rate limits per API key when one is sent (hashed, never kept in clear), else per client IP. */
@Injectable()
export class ClientThrottlerGuard extends ThrottlerGuard {
  protected override async getTracker(request: Record<string, any>): Promise<string> {
    const key = request.headers?.[API_KEY_HEADER];
    if (typeof key === 'string' && key) return `key:${createHash('sha256').update(key).digest('hex').slice(0, 32)}`;
    return `ip:${request.ip}`;
  }

  /** Retry-After on every 429, even though the per-answer X-RateLimit-* headers are off. */
  protected override async throwThrottlingException(context: ExecutionContext, detail: ThrottlerLimitDetail): Promise<void> {
    void context.switchToHttp().getResponse<FastifyReply>().header('retry-after', String(detail.timeToBlockExpire));
    return super.throwThrottlingException(context, detail);
  }
}
