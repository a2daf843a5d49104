import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { Gauge } from 'prom-client';
import { appConfig } from '../config/app.config.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { ScoringEvents } from '../scoring/scoring-events.js';
import { emptyCounts, fairnessTable, FairnessTable, PROTECTED_ATTRIBUTES, ProtectedAttribute } from './fairness.js';

/** A group needs this many applications in the window before its rate is judged. */
export const MIN_GROUP_WINDOW = 50;

export interface FairnessReport {
  model_version: string | null;
  window_size: number;
  window_capacity: number;
  min_group_size: number;
  attributes: FairnessTable;
}

const ATTRIBUTES = Object.keys(PROTECTED_ATTRIBUTES) as ProtectedAttribute[];

/**
 * Approval rates by protected attribute and group over the last DRIFT_WINDOW decisions of the active model
 * (a new version starts a new window, as drift does). Each decision is three bytes in a ring; the counts move
 * by one per decision, so the report and the /metrics gauge cost nothing on the request path.
 */
@Injectable()
export class FairnessService implements OnModuleInit {
  private version: string | null = null;
  private readonly codes: Uint8Array[];
  private readonly approved: Uint8Array;
  private next = 0;
  private size = 0;
  private counts = emptyCounts();
  private readonly codeOf = ATTRIBUTES.map(
    (a) => new Map<string, number>(PROTECTED_ATTRIBUTES[a].map((g, i) => [g, i])),
  );

  constructor(
    @Inject(appConfig.KEY) private readonly config: ConfigType<typeof appConfig>,
    metrics: MetricsService,
    private readonly events: ScoringEvents,
  ) {
    this.codes = ATTRIBUTES.map(() => new Uint8Array(config.driftWindow));
    this.approved = new Uint8Array(config.driftWindow);
    // collect() runs with `this` as the gauge: the service's report comes through arrow functions.
    const report = () => this.report();
    new Gauge({
      name: 'fairness_adverse_impact_ratio',
      help: "A group's approval rate over the highest group's, in the fairness window (groups with enough applications)",
      labelNames: ['attribute', 'group'] as const,
      registers: [metrics.registry],
      collect() {
        this.reset();
        for (const [attribute, groups] of Object.entries(report().attributes)) {
          for (const [group, figures] of Object.entries(groups)) {
            if (figures.adverse_impact_ratio !== null) this.set({ attribute, group }, figures.adverse_impact_ratio);
          }
        }
      },
    });
  }

  onModuleInit(): void {
    this.events.subscribe((event) => {
      if (event.role !== 'production') return;
      if (event.model.version !== this.version) this.restart(event.model.version);
      event.answers.forEach((answer, i) => this.record(event.applications[i], answer.decision === 'approve'));
    });
  }

  private restart(version: string): void {
    this.version = version;
    this.next = 0;
    this.size = 0;
    this.counts = emptyCounts();
  }

  private record(application: Record<ProtectedAttribute, string>, approved: boolean): void {
    const capacity = this.approved.length;
    if (this.size === capacity) {
      // The oldest decision leaves the window.
      ATTRIBUTES.forEach((attribute, a) => {
        const group = this.counts[attribute][PROTECTED_ATTRIBUTES[attribute][this.codes[a][this.next]]];
        group.count--;
        group.approvals -= this.approved[this.next];
      });
    } else {
      this.size++;
    }
    ATTRIBUTES.forEach((attribute, a) => {
      const code = this.codeOf[a].get(application[attribute])!;
      this.codes[a][this.next] = code;
      const group = this.counts[attribute][application[attribute]];
      group.count++;
      group.approvals += approved ? 1 : 0;
    });
    this.approved[this.next] = approved ? 1 : 0;
    this.next = (this.next + 1) % capacity;
  }

  report(): FairnessReport {
    return {
      model_version: this.version,
      window_size: this.size,
      window_capacity: this.approved.length,
      min_group_size: MIN_GROUP_WINDOW,
      attributes: fairnessTable(this.counts, MIN_GROUP_WINDOW),
    };
  }
}
