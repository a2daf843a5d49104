import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Every Prometheus metric the service exposes at GET /metrics, on one registry of its own. */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  readonly modelSwaps = new Counter({
    name: 'model_swaps_total',
    help: 'Model version changes attempted, by outcome (success, failure)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly activeModel = new Gauge({
    name: 'model_active_info',
    help: 'The model version serving now (value 1)',
    labelNames: ['version'] as const,
    registers: [this.registry],
  });
  readonly modelLoadSeconds = new Histogram({
    name: 'model_load_seconds',
    help: 'Time to fetch and verify a model version',
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  setActiveModel(version: string): void {
    this.activeModel.reset();
    this.activeModel.set({ version }, 1);
  }

  async render(): Promise<string> {
    return this.registry.metrics();
  }
}
