import { Module } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { appConfig } from '../config/app.config.js';
import { createBlobStore } from '../storage/create-blob-store.js';
import { PolicyService } from './policy.service.js';
import { PolicyStore } from './policy-store.js';
import { POLICY_STORE } from './policy.tokens.js';

@Module({
  providers: [
    {
      provide: POLICY_STORE,
      inject: [appConfig.KEY],
      useFactory: async (config: ConfigType<typeof appConfig>) =>
        new PolicyStore(
          await createBlobStore(config.modelStore, { timeoutMs: config.storeTimeoutMs }),
          config.modelName,
        ),
    },
    PolicyService,
  ],
  exports: [PolicyService],
})
export class PolicyModule {}
