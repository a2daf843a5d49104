import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { Gauge } from 'prom-client';
import { appConfig } from '../config/app.config.js';
import { LoanApplication } from '../contract/loan-application.contract.js';
import { LoadedModel } from '../model/loaded-model.js';
import { Reference } from '../model/manifest.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { ScoringEvents } from '../scoring/scoring-events.js';
import {
  binner,
  DRIFT_ABOVE,
  driftStatus,
  DriftStatus,
  MIN_WINDOW,
  psi,
  SlidingHistogram,
  WATCH_ABOVE,
} from './psi.js';

interface Tracked {
  name: string;
  reference: number[];
  bin: (value: unknown) => number;
  window: SlidingHistogram;
}

export interface DriftReport {
  model_version: string | null;
  window_size: number;
  window_capacity: number;
  thresholds: { watch_above: number; drift_above: number; min_window: number };
  features: Record<string, { psi: number; status: DriftStatus }>;
  score: { psi: number; status: DriftStatus } | null;
}

/**
 * Drift of live traffic against the active model's reference distributions (from its manifest): a sliding
 * window of the last DRIFT_WINDOW applications and scores, binned like the reference, compared by the
 * population stability index. A new model version brings a new reference, so the windows restart.
 */
@Injectable()
export class DriftService implements OnModuleInit {
  private version: string | null = null;
  private inputs: Tracked[] = [];
  private score: Tracked | null = null;

  constructor(
    @Inject(appConfig.KEY) private readonly config: ConfigType<typeof appConfig>,
    metrics: MetricsService,
    private readonly events: ScoringEvents,
  ) {
    // collect() runs with `this` as the gauge: the service's report comes through arrow functions.
    const report = () => this.report();
    const windowSize = () => this.inputs[0]?.window.size ?? 0;
    new Gauge({
      name: 'drift_psi',
      help: 'Population stability index of the live window against the reference, by feature (score for the output)',
      labelNames: ['feature'] as const,
      registers: [metrics.registry],
      collect() {
        this.reset();
        const current = report();
        for (const [feature, value] of Object.entries(current.features)) this.set({ feature }, value.psi);
        if (current.score) this.set({ feature: 'probability_of_default' }, current.score.psi);
      },
    });
    new Gauge({
      name: 'drift_window_size',
      help: 'Applications in the drift window',
      registers: [metrics.registry],
      collect() {
        this.set(windowSize());
      },
    });
  }

  private track(name: string, reference: Reference): Tracked {
    const { bins, bin } = binner(reference);
    const proportions = [...reference.proportions, ...Array(bins - reference.proportions.length).fill(0)];
    return { name, reference: proportions, bin, window: new SlidingHistogram(bins, this.config.driftWindow) };
  }

  private reset(model: LoadedModel): void {
    const reference = model.manifest.reference;
    this.version = model.version;
    this.inputs = Object.entries(reference?.inputs ?? {}).map(([name, ref]) => this.track(name, ref));
    this.score = reference?.score ? this.track('probability_of_default', reference.score) : null;
  }

  onModuleInit(): void {
    this.events.subscribe((event) => {
      if (event.role === 'production') this.observe(event.model, event.applications, event.scores);
    });
  }

  observe(model: LoadedModel, applications: readonly LoanApplication[], scores: Float32Array): void {
    if (model.version !== this.version) this.reset(model);
    for (let row = 0; row < applications.length; row++) {
      const application = applications[row] as unknown as Record<string, unknown>;
      for (const tracked of this.inputs) tracked.window.push(tracked.bin(application[tracked.name]));
      this.score?.window.push(this.score.bin(scores[row]));
    }
  }

  /** The report against `model`'s reference (the active one); an empty window when it just became active. */
  report(model: LoadedModel | null = null): DriftReport {
    if (model && model.version !== this.version) this.reset(model);
    const judge = (t: Tracked) => {
      const value = psi(t.window.proportions(), t.reference);
      return { psi: Math.round(value * 1e6) / 1e6, status: driftStatus(value, t.window.size) };
    };
    return {
      model_version: this.version,
      window_size: this.inputs[0]?.window.size ?? 0,
      window_capacity: this.config.driftWindow,
      thresholds: { watch_above: WATCH_ABOVE, drift_above: DRIFT_ABOVE, min_window: MIN_WINDOW },
      features: Object.fromEntries(this.inputs.map((t) => [t.name, judge(t)])),
      score: this.score ? judge(this.score) : null,
    };
  }
}
