import { Global, Module } from '@nestjs/common';
import { FixedWindowThrottlerStorage } from './fixed-window-storage.js';
import { RequestGate } from './request-gate.js';
import { RATE_LIMIT_STORAGE } from './throttler-storage.interface.js';

/**
 * Credentials and rate limits, enforced by RequestGate in a Fastify onRequest hook (installed by the app
 * factory). The counters come through RATE_LIMIT_STORAGE: in process (one fixed window per client) here.
 */
@Global()
@Module({
  providers: [{ provide: RATE_LIMIT_STORAGE, useFactory: () => new FixedWindowThrottlerStorage() }, RequestGate],
  exports: [RequestGate, RATE_LIMIT_STORAGE],
})
export class SecurityModule {}
