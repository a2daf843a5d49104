import { Module } from '@nestjs/common';
import { ModelModule } from '../model/model.module.js';
import { DriftController } from './drift.controller.js';
import { DriftService } from './drift.service.js';
import { FairnessController } from './fairness.controller.js';
import { FairnessService } from './fairness.service.js';
import { MetricsController } from './metrics.controller.js';
import { PredictionMetrics } from './prediction-metrics.js';

/** Watches scoring (drift against the model's reference, fairness by protected group, decision and score metrics) and serves GET /metrics, /monitoring/drift and /monitoring/fairness. */
@Module({ imports: [ModelModule], controllers: [MetricsController, DriftController, FairnessController], providers: [DriftService, FairnessService, PredictionMetrics] })
export class MonitoringModule {}
