import { Global, Module } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { ThrottlerModule } from '@nestjs/throttler';
import { appConfig } from '../config/app.config.js';
import { ApiKeyGuard } from './api-key.guard.js';
import { FixedWindowThrottlerStorage } from './fixed-window-storage.js';
import { ClientThrottlerGuard } from './client-throttler.guard.js';

/** API keys and rate limits (@nestjs/throttler, in memory per instance) for the routes that use them. */
@Global()
@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      inject: [appConfig.KEY],
      useFactory: (config: ConfigType<typeof appConfig>) => ({
        throttlers: [{ name: 'default', ttl: 60_000, limit: config.rateLimitPerMinute }],
        storage: new FixedWindowThrottlerStorage(),
        // The X-RateLimit-* headers on every answer cost more than they tell; a 429 still says Retry-After.
        setHeaders: false,
        skipIf: () => config.rateLimitPerMinute === 0,
        errorMessage: `rate limit exceeded: at most ${config.rateLimitPerMinute} requests a minute per client; see Retry-After`,
      }),
    }),
  ],
  providers: [ApiKeyGuard, ClientThrottlerGuard],
  exports: [ApiKeyGuard, ClientThrottlerGuard, ThrottlerModule],
})
export class SecurityModule {}
