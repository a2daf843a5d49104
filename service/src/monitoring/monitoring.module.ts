import { Global, Module } from '@nestjs/common';
import { DriftService } from './drift.service.js';
import { MetricsController } from './metrics.controller.js';
import { MetricsService } from './metrics.service.js';

@Global()
@Module({
  controllers: [MetricsController],
  providers: [MetricsService, DriftService],
  exports: [MetricsService, DriftService],
})
export class MonitoringModule {}
