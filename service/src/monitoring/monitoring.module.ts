import { Module } from '@nestjs/common';
import { DecisionsModule } from '../decisions/decisions.module.js';
import { ModelModule } from '../model/model.module.js';
import { PolicyModule } from '../policy/policy.module.js';
import { DecisionMix } from './decision-mix.js';
import { DecisionsMonitorController } from './decisions.controller.js';
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
 * and canary against production, the credit policy's decision mix) and serves GET /metrics and
 * /monitoring/{drift,fairness,challengers,decisions}.
 */
@Module({
  imports: [ModelModule, PolicyModule, DecisionsModule],
  controllers: [
    MetricsController,
    DriftController,
    FairnessController,
    ChallengersController,
    DecisionsMonitorController,
  ],
  providers: [DriftService, FairnessService, PredictionMetrics, ChallengerMonitor, EmfPublisher, DecisionMix],
})
export class MonitoringModule {}
