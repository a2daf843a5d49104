import { Injectable, OnModuleInit } from '@nestjs/common';
import { MetricsService } from '../metrics/metrics.service.js';
import { ScoringEvents } from '../scoring/scoring-events.js';

/** Counts decisions and observes scores for every answer given (prediction_decisions_total, prediction_score). */
@Injectable()
export class PredictionMetrics implements OnModuleInit {
  constructor(
    private readonly events: ScoringEvents,
    private readonly metrics: MetricsService,
  ) {}

  onModuleInit(): void {
    this.events.subscribe((event) => this.metrics.observePredictions(event.answers));
  }
}
