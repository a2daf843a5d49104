import { DynamicModule, Module } from '@nestjs/common';
import { ConfigModule, registerAs } from '@nestjs/config';
import { AdminModule } from './admin/admin.module.js';
import { AppConfig } from './config/app.config.js';
import { HealthModule } from './health/health.module.js';
import { ModelModule } from './model/model.module.js';
import { DriftModule } from './monitoring/drift.module.js';
import { MonitoringModule } from './monitoring/monitoring.module.js';
import { PredictModule } from './predict/predict.module.js';
import { PreprocessingModule } from './preprocessing/preprocessing.module.js';
import { SecurityModule } from './security/security.module.js';

@Module({})
export class AppModule {
  /** The app for one configuration; the admin routes exist only when an ADMIN_TOKEN is configured. */
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        // Same namespace as appConfig in config/app.config.ts, so @Inject(appConfig.KEY) receives `config`.
        ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: [registerAs('app', () => config)] }),
        MonitoringModule,
        SecurityModule,
        PreprocessingModule,
        ModelModule,
        PredictModule,
        HealthModule,
        DriftModule,
        ...(config.adminToken ? [AdminModule] : []),
      ],
    };
  }
}
