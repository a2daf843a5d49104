import { Module } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { appConfig } from '../config/app.config.js';
import { createBlobStore } from '../storage/create-blob-store.js';
import { DECISION_LOG } from './decision-log.tokens.js';
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
    DecisionsService,
  ],
  exports: [DecisionsService],
})
export class DecisionsModule {}
