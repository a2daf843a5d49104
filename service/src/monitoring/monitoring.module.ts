import { Module } from '@nestjs/common';
import { ModelModule } from '../model/model.module.js';
import { DriftController } from './drift.controller.js';
import { DriftService } from './drift.service.js';
import { MetricsController } from './metrics.controller.js';
import { PredictionMetrics } from './prediction-metrics.js';

/** Watches scoring (drift against the model's reference, decision and score metrics) and serves GET /metrics and GET /monitoring/drift. */
@Module({ imports: [ModelModule], controllers: [MetricsController, DriftController], providers: [DriftService, PredictionMetrics] })
export class MonitoringModule {}
