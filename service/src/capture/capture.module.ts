import { Module } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { appConfig } from '../config/app.config.js';
import { ShadowModule } from '../shadow/shadow.module.js';
import { createBlobStore } from '../storage/create-blob-store.js';
import path from 'node:path';
import {
  CAPTURE_CLOCK,
  PREDICTION_SINK,
  PredictionSink,
  RECORD_ENCODER,
  SPILL_STORE,
  SpillStore,
  SYSTEM_CLOCK,
} from './capture.tokens.js';
import { SpillDirectory } from './spill-directory.js';
import { ChunkEncoder } from './chunk-encoder.js';
import { PredictionCaptureService } from './prediction-capture.service.js';

/** The prediction log: listens to scoring and writes every answer; its sink and encoder come through tokens. */
@Module({
  // A record waits for the shadow's answer to its application, when a shadow is set, and carries both.
  imports: [ShadowModule],
  providers: [
    {
      provide: PREDICTION_SINK,
      inject: [appConfig.KEY],
      useFactory: (config: ConfigType<typeof appConfig>): Promise<PredictionSink> | null =>
        config.predictionLog === 'off'
          ? null
          : createBlobStore(config.predictionLog, { timeoutMs: config.storeTimeoutMs }),
    },
    // The worker thread starts only when there is something to write.
    {
      provide: RECORD_ENCODER,
      inject: [PREDICTION_SINK],
      useFactory: (sink: PredictionSink) => (sink ? new ChunkEncoder() : null),
    },
    {
      provide: SPILL_STORE,
      inject: [appConfig.KEY],
      useFactory: (config: ConfigType<typeof appConfig>): SpillStore =>
        new SpillDirectory(path.resolve(config.captureSpillDir), config.captureSpillMaxMb * 1024 * 1024),
    },
    { provide: CAPTURE_CLOCK, useValue: SYSTEM_CLOCK },
    PredictionCaptureService,
  ],
  exports: [PredictionCaptureService],
})
export class CaptureModule {}
