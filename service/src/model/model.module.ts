import { Module } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { appConfig } from '../config/app.config.js';
import os from 'node:os';
import path from 'node:path';
import { PreprocessingModule } from '../preprocessing/preprocessing.module.js';
import { ARTIFACT_CACHE, ArtifactCache } from './artifact-cache.js';
import { MODEL_STORE } from './model-store.js';
import { ChallengersService } from './challengers.service.js';
import { ModelService } from './model.service.js';
import { ModelsController } from './models.controller.js';
import { createModelStore } from './stores/create-model-store.js';
import { ARTIFACT_PREFLIGHT, OffThreadVerifier } from './off-thread-verifier.js';

@Module({
  imports: [PreprocessingModule],
  controllers: [ModelsController],
  providers: [
    {
      provide: MODEL_STORE,
      inject: [appConfig.KEY],
      useFactory: (config: ConfigType<typeof appConfig>) =>
        createModelStore(config.modelStore, { timeoutMs: config.storeTimeoutMs }),
    },
    {
      provide: ARTIFACT_CACHE,
      inject: [appConfig.KEY],
      // Remote stores get a local cache of verified artifacts; a directory store is local already.
      useFactory: (config: ConfigType<typeof appConfig>) =>
        config.modelStore.startsWith('s3://')
          ? new ArtifactCache(path.join(os.tmpdir(), 'loan-default-model-cache'))
          : null,
    },
    {
      provide: ARTIFACT_PREFLIGHT,
      inject: [appConfig.KEY],
      useFactory: (config: ConfigType<typeof appConfig>) => new OffThreadVerifier(config.modelVerifyTimeoutMs).verify,
    },
    ModelService,
    ChallengersService,
  ],
  exports: [ModelService, ChallengersService, MODEL_STORE],
})
export class ModelModule {}
