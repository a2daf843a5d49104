import { Module } from '@nestjs/common';
import { ModelModule } from '../model/model.module.js';
import { ChallengerMonitor } from './challenger-monitor.js';
import { ChallengersController } from './challengers.controller.js';
import { DriftController } from './drift.controller.js';
import { DriftService } from './drift.service.js';
import { EmfPublisher } from './emf-publisher.js';
import { FairnessController } from './fairness.controller.js';
import { FairnessService } from './fairness.service.js';
import { MetricsController } from './metrics.controller.js';
import { PredictionMetrics } from './prediction-metrics.js';

/**
 * Watches scoring (drift against the model's reference, fairness by protected group, decision and score metrics, shadow
 * and canary against production) and serves GET /metrics and /monitoring/{drift,fairness,challengers}.
 */
@Module({
  imports: [ModelModule],
  controllers: [MetricsController, DriftController, FairnessController, ChallengersController],
  providers: [DriftService, FairnessService, PredictionMetrics, ChallengerMonitor, EmfPublisher],
})
export class MonitoringModule {}
