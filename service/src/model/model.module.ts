import { Module } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { appConfig } from '../config/app.config.js';
import { PreprocessingModule } from '../preprocessing/preprocessing.module.js';
import { MODEL_STORE } from './model-store.js';
import { ModelService } from './model.service.js';
import { ModelsController } from './models.controller.js';
import { createModelStore } from './stores/create-model-store.js';

@Module({
  imports: [PreprocessingModule],
  controllers: [ModelsController],
  providers: [
    {
      provide: MODEL_STORE,
      inject: [appConfig.KEY],
      useFactory: (config: ConfigType<typeof appConfig>) => createModelStore(config.modelStore, { timeoutMs: config.storeTimeoutMs }),
    },
    ModelService,
  ],
  exports: [ModelService, MODEL_STORE],
})
export class ModelModule {}
