import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { appConfig } from './config/app.config.js';
import { HealthModule } from './health/health.module.js';
import { ModelModule } from './model/model.module.js';
import { PredictModule } from './predict/predict.module.js';
import { PreprocessingModule } from './preprocessing/preprocessing.module.js';

@Module({
  imports: [
    ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: [appConfig] }),
    PreprocessingModule,
    ModelModule,
    PredictModule,
    HealthModule,
  ],
})
export class AppModule {}
