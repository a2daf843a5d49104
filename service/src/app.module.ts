import { DynamicModule, Module } from '@nestjs/common';
import { ConfigModule, registerAs } from '@nestjs/config';
import { AdminModule } from './admin/admin.module.js';
import { AppConfig } from './config/app.config.js';
import { HealthModule } from './health/health.module.js';
import { ModelModule } from './model/model.module.js';
import { CaptureModule } from './capture/capture.module.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { MonitoringModule } from './monitoring/monitoring.module.js';
import { ScoringModule } from './scoring/scoring.module.js';
import { PredictModule } from './predict/predict.module.js';
import { PreprocessingModule } from './preprocessing/preprocessing.module.js';
import { SecurityModule } from './security/security.module.js';
import { ShadowModule } from './shadow/shadow.module.js';

@Module({})
export class AppModule {
  /** The app for one configuration; the admin routes exist only when an ADMIN_TOKEN is configured. */
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        // Same namespace as appConfig in config/app.config.ts, so @Inject(appConfig.KEY) receives `config`.
        ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: [registerAs('app', () => config)] }),
        MetricsModule,
        ScoringModule,
        SecurityModule,
        PreprocessingModule,
        ModelModule,
        PredictModule,
        HealthModule,
        MonitoringModule,
        ShadowModule,
        CaptureModule,
        ...(config.adminToken ? [AdminModule] : []),
      ],
    };
  }
}
