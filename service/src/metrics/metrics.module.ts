import { Global, Module } from '@nestjs/common';
import { MetricsService } from './metrics.service.js';

/**
 * The process's Prometheus metrics (served by monitoring/metrics.controller.ts): global, since every feature counts
 * something.
 */
@Global()
@Module({
  providers: [MetricsService],
  exports: [MetricsService],
})
export class MetricsModule {}
