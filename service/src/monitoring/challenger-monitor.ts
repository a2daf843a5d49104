import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { Gauge } from 'prom-client';
import { appConfig } from '../config/app.config.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { ScoringEvents } from '../scoring/scoring-events.js';
import { psi } from './psi.js';

/** Scores are compared in 20 equal bins of probability. */
const BINS = 20;

/** The last `capacity` probabilities and decisions of one version, as counts per bin. */
class ScoreWindow {
  private readonly scores: Float64Array;
  private readonly approved: Uint8Array;
  private readonly bins = new Float64Array(BINS);
  private next = 0;
  size = 0;
  approvals = 0;
  version: string | null = null;

  constructor(capacity: number) {
    this.scores = new Float64Array(capacity);
    this.approved = new Uint8Array(capacity);
  }

  push(version: string, score: number, approved: boolean): void {
    if (version !== this.version) this.restart(version);
    const capacity = this.scores.length;
    if (this.size === capacity) {
      this.bins[bin(this.scores[this.next])]--;
      this.approvals -= this.approved[this.next];
    } else {
      this.size++;
    }
    this.scores[this.next] = score;
    this.approved[this.next] = approved ? 1 : 0;
    this.bins[bin(score)]++;
    this.approvals += approved ? 1 : 0;
    this.next = (this.next + 1) % capacity;
  }

  restart(version: string | null): void {
    this.version = version;
    this.next = 0;
    this.size = 0;
    this.approvals = 0;
    this.bins.fill(0);
  }

  proportions(): Float64Array {
    return this.bins.map((count) => (this.size > 0 ? count / this.size : 0));
  }

  approvalRate(): number | null {
    return this.size > 0 ? this.approvals / this.size : null;
  }
}

const bin = (score: number) => Math.min(BINS - 1, Math.max(0, Math.floor(score * BINS)));

export interface ChallengerFigures {
  version: string | null;
  count: number;
  approval_rate: number | null;
  production_approval_rate: number | null;
  /** The challenger's score distribution against production's (PSI over 20 bins). */
  psi: number | null;
  /** Shadow only (the same applications): how often both decided alike, and the mean |difference| of probability. */
  decision_agreement: number | null;
  mean_abs_difference: number | null;
}

export interface ChallengersReport {
  window_capacity: number;
  production_version: string | null;
  shadow: ChallengerFigures;
  canary: ChallengerFigures;
}

/**
 * Shadow and canary against production over the last DRIFT_WINDOW applications each: the shadow on the very
 * applications production answered (agreement, mean difference), the canary on its own share of traffic
 * (approval rates and the PSI between score distributions). Fed by the scoring announcements; a new version of
 * either side starts its window again.
 */
@Injectable()
export class ChallengerMonitor implements OnModuleInit {
  private readonly production: ScoreWindow;
  private readonly canary: ScoreWindow;
  private readonly shadow: ScoreWindow;
  /** The production scores of the shadowed applications, beside the shadow's. */
  private readonly shadowedProduction: ScoreWindow;
  private agreements = 0;
  private absoluteDifference = 0;
  private readonly pairs: { agree: Uint8Array; difference: Float64Array; next: number };

  constructor(
    @Inject(appConfig.KEY) config: ConfigType<typeof appConfig>,
    metrics: MetricsService,
    private readonly events: ScoringEvents,
  ) {
    const capacity = config.driftWindow;
    [this.production, this.canary, this.shadow, this.shadowedProduction] = [0, 1, 2, 3].map(() => new ScoreWindow(capacity));
    this.pairs = { agree: new Uint8Array(capacity), difference: new Float64Array(capacity), next: 0 };
    const self = this;
    new Gauge({
      name: 'challenger_comparison',
      help: 'Shadow and canary against production over the window, by channel and figure (psi, approval_rate, production_approval_rate, decision_agreement, mean_abs_difference)',
      labelNames: ['channel', 'figure'] as const,
      registers: [metrics.registry],
      collect() {
        this.reset();
        const report = self.report();
        for (const channel of ['shadow', 'canary'] as const) {
          for (const [figure, value] of Object.entries(report[channel])) {
            if (typeof value === 'number' && figure !== 'count') this.set({ channel, figure }, value);
          }
        }
      },
    });
  }

  onModuleInit(): void {
    this.events.subscribe((event) => {
      const window = event.role === 'canary' ? this.canary : this.production;
      event.answers.forEach((answer) => window.push(event.model.version, answer.probability_of_default, answer.decision === 'approve'));
    });
    this.events.subscribeShadow(({ production, shadow }) => {
      if (shadow.version !== this.shadow.version || production.version !== this.shadowedProduction.version) {
        this.shadow.restart(shadow.version);
        this.shadowedProduction.restart(production.version);
        this.agreements = 0;
        this.absoluteDifference = 0;
        this.pairs.next = 0;
      }
      const capacity = this.pairs.agree.length;
      for (let i = 0; i < shadow.scores.length; i++) {
        const [p, s] = [production.scores[i], shadow.scores[i]];
        const agree = p >= production.threshold === s >= shadow.threshold ? 1 : 0;
        const at = this.pairs.next;
        if (this.shadow.size === capacity) {
          this.agreements -= this.pairs.agree[at];
          this.absoluteDifference -= this.pairs.difference[at];
        }
        this.pairs.agree[at] = agree;
        this.pairs.difference[at] = Math.abs(p - s);
        this.agreements += agree;
        this.absoluteDifference += Math.abs(p - s);
        this.pairs.next = (at + 1) % capacity;
        this.shadow.push(shadow.version, s, s < shadow.threshold);
        this.shadowedProduction.push(production.version, p, p < production.threshold);
      }
    });
  }

  report(): ChallengersReport {
    const figures = (challenger: ScoreWindow, reference: ScoreWindow, paired: boolean): ChallengerFigures => ({
      version: challenger.version,
      count: challenger.size,
      approval_rate: challenger.approvalRate(),
      production_approval_rate: reference.approvalRate(),
      psi: challenger.size > 0 && reference.size > 0 ? psi(challenger.proportions(), reference.proportions()) : null,
      decision_agreement: paired && challenger.size > 0 ? this.agreements / challenger.size : null,
      mean_abs_difference: paired && challenger.size > 0 ? this.absoluteDifference / challenger.size : null,
    });
    return {
      window_capacity: this.pairs.agree.length,
      production_version: this.production.version,
      shadow: figures(this.shadow, this.shadowedProduction, true),
      canary: figures(this.canary, this.production, false),
    };
  }
}
