import { Module } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { appConfig } from '../config/app.config.js';
import { createBlobStore } from '../storage/create-blob-store.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { DECISION_LOG, SHARED_REFERRALS } from './decisions.tokens.js';
import { SharedReferrals } from './shared-referrals.js';
import { DecisionsController } from './decisions.controller.js';
import { DecisionsService } from './decisions.service.js';

@Module({
  controllers: [DecisionsController],
  providers: [
    {
      provide: DECISION_LOG,
      inject: [appConfig.KEY],
      useFactory: (config: ConfigType<typeof appConfig>) =>
        config.decisionLog === 'off' ? null : createBlobStore(config.decisionLog, { timeoutMs: config.storeTimeoutMs }),
    },
    {
      provide: SHARED_REFERRALS,
      inject: [appConfig.KEY, MetricsService],
      useFactory: (config: ConfigType<typeof appConfig>, metrics: MetricsService) =>
        config.redisUrl ? new SharedReferrals(config.redisUrl, config.referralTtlS, metrics) : null,
    },
    DecisionsService,
  ],
  exports: [DecisionsService],
})
export class DecisionsModule {}
