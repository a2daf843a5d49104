import { Global, Module } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { appConfig } from '../config/app.config.js';
import { FixedWindowThrottlerStorage } from './fixed-window-storage.js';
import { RedisRateLimitStorage } from './redis-rate-limit-storage.js';
import { RequestGate } from './request-gate.js';
import { RATE_LIMIT_STORAGE } from './throttler-storage.interface.js';

/**
 * Credentials and rate limits, enforced by RequestGate in a Fastify onRequest hook (installed by the app
 * factory). The counters come through RATE_LIMIT_STORAGE: in process (one fixed window per client), or in Redis
 * for a fleet (REDIS_URL).
 */
@Global()
@Module({
  providers: [
    {
      provide: RATE_LIMIT_STORAGE,
      inject: [appConfig.KEY],
      useFactory: (config: ConfigType<typeof appConfig>) =>
        config.redisUrl ? new RedisRateLimitStorage(config.redisUrl) : new FixedWindowThrottlerStorage(),
    },
    RequestGate,
  ],
  exports: [RequestGate, RATE_LIMIT_STORAGE],
})
export class SecurityModule {}
