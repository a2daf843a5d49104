import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { Gauge } from 'prom-client';
import { appConfig } from '../config/app.config.js';
import { MetricsService } from '../metrics/metrics.service.js';
import type { LoanApplication } from '../contract/loan-application.contract.js';
import { ModelService } from '../model/model.service.js';
import { decide, type ServingPolicy } from '../policy/credit-policy.js';
import type { ScoredEvent } from '../scoring/scored-event.js';
import { ScoringEvents } from '../scoring/scoring-events.js';
import { psi, SlidingHistogram } from './psi.js';

/** Scores are compared in 20 equal bins of probability. */
const BINS = 20;

const bin = (score: number) => Math.min(BINS - 1, Math.max(0, Math.floor(score * BINS)));

/** The last `capacity` probabilities (binned) and decisions of one version: two of drift's sliding histograms. */
class ScoreWindow {
  private scores!: SlidingHistogram;
  /** Bin 1: approved. */
  private decisions!: SlidingHistogram;
  version: string | null = null;

  constructor(private readonly capacity: number) {
    this.restart(null);
  }

  push(score: number, approved: boolean): void {
    this.scores.push(bin(score));
    this.decisions.push(approved ? 1 : 0);
  }

  restart(version: string | null): void {
    this.version = version;
    this.scores = new SlidingHistogram(BINS, this.capacity);
    this.decisions = new SlidingHistogram(2, this.capacity);
  }

  get size(): number {
    return this.scores.size;
  }

  proportions(): number[] {
    return this.scores.proportions();
  }

  approvalRate(): number | null {
    return this.size > 0 ? this.decisions.proportions()[1] : null;
  }
}

/** A challenger's and production's answers to the same applications: both score windows, agreement and |difference|. */
class PairedWindow {
  readonly challenger: ScoreWindow;
  readonly production: ScoreWindow;
  /** Bin 1: both decided alike. */
  private agreement: SlidingHistogram;
  /** |difference| per pair, in a ring beside their running sum (a mean needs the values, not bins). */
  private readonly difference: Float64Array;
  private next = 0;
  private absoluteDifference = 0;

  constructor(private readonly capacity: number) {
    this.challenger = new ScoreWindow(capacity);
    this.production = new ScoreWindow(capacity);
    this.agreement = new SlidingHistogram(2, capacity);
    this.difference = new Float64Array(capacity);
  }

  /** Both versions' answers to the same applications, each decided under the policy that decided production's. */
  push(
    production: { version: string; threshold: number; scores: ArrayLike<number> },
    challenger: { version: string; threshold: number; scores: ArrayLike<number> },
    applications: readonly LoanApplication[],
    policy: ServingPolicy,
  ): void {
    if (challenger.version !== this.challenger.version || production.version !== this.production.version) {
      this.challenger.restart(challenger.version);
      this.production.restart(production.version);
      this.agreement = new SlidingHistogram(2, this.capacity);
      this.absoluteDifference = 0;
      this.next = 0;
    }
    for (let i = 0; i < challenger.scores.length; i++) {
      const [p, c] = [production.scores[i], challenger.scores[i]];
      if (this.challenger.size === this.capacity) this.absoluteDifference -= this.difference[this.next];
      this.difference[this.next] = Math.abs(p - c);
      this.absoluteDifference += Math.abs(p - c);
      this.next = (this.next + 1) % this.capacity;
      const productionDecision = decide(policy, applications[i], p, production.threshold).decision;
      const challengerDecision = decide(policy, applications[i], c, challenger.threshold).decision;
      this.agreement.push(productionDecision === challengerDecision ? 1 : 0);
      // An approval rate counts approvals only: a referral is not one.
      this.challenger.push(c, challengerDecision === 'approve');
      this.production.push(p, productionDecision === 'approve');
    }
  }

  figures(): ChallengerFigures {
    const { challenger, production } = this;
    return {
      version: challenger.version,
      count: challenger.size,
      approval_rate: challenger.approvalRate(),
      production_approval_rate: production.approvalRate(),
      psi: challenger.size > 0 && production.size > 0 ? psi(challenger.proportions(), production.proportions()) : null,
      decision_agreement: challenger.size > 0 ? this.agreement.proportions()[1] : null,
      mean_abs_difference: challenger.size > 0 ? this.absoluteDifference / challenger.size : null,
    };
  }
}

export interface ChallengerFigures {
  version: string | null;
  count: number;
  approval_rate: number | null;
  /** Production's approval rate on the same applications. */
  production_approval_rate: number | null;
  /** The challenger's score distribution against production's on the same applications (PSI over 20 bins). */
  psi: number | null;
  /** How often both decided alike, and the mean |difference| of probability, on the same applications. */
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
 * Shadow and canary against production over the last DRIFT_WINDOW applications each, always on the same
 * applications: the shadow's scores arrive with production's (ScoringEvents.emitShadow), and the applications
 * the canary answered are scored by production too, after their answers have gone (setImmediate, so no answer
 * waits for it). A new version of either side starts its window again.
 */
@Injectable()
export class ChallengerMonitor implements OnModuleInit {
  private readonly shadow: PairedWindow;
  private readonly canary: PairedWindow;
  private readonly capacity: number;

  constructor(
    @Inject(appConfig.KEY) config: ConfigType<typeof appConfig>,
    metrics: MetricsService,
    private readonly events: ScoringEvents,
    private readonly models: ModelService,
  ) {
    this.capacity = config.driftWindow;
    this.shadow = new PairedWindow(this.capacity);
    this.canary = new PairedWindow(this.capacity);
    // collect() runs with `this` as the gauge: the service's report comes through arrow functions.
    const report = () => this.report();
    new Gauge({
      name: 'challenger_comparison',
      help: 'Shadow and canary against production on the same applications, by channel and figure (psi, approval_rate, production_approval_rate, decision_agreement, mean_abs_difference)',
      labelNames: ['channel', 'figure'] as const,
      registers: [metrics.registry],
      collect() {
        this.reset();
        const current = report();
        for (const channel of ['shadow', 'canary'] as const) {
          for (const [figure, value] of Object.entries(current[channel])) {
            if (typeof value === 'number' && figure !== 'count') this.set({ channel, figure }, value);
          }
        }
      },
    });
  }

  onModuleInit(): void {
    this.events.subscribe((event) => {
      if (event.role === 'production') return;
      const canary = { version: event.model.version, threshold: event.model.threshold, scores: event.scores };
      setImmediate(() => void this.scoreWithProduction(event.applications, canary, event.policy));
    });
    this.events.subscribeShadow(({ production, shadow, applications, policy }) =>
      this.shadow.push(production, shadow, applications, policy),
    );
  }

  /** Production's scores of applications the canary answered; a failure only leaves them out of the comparison. */
  private async scoreWithProduction(
    applications: ScoredEvent['applications'],
    canary: { version: string; threshold: number; scores: Float32Array },
    policy: ServingPolicy,
  ): Promise<void> {
    try {
      await this.models.withModel(async (production) => {
        const scores = await production.score(applications);
        const answered = { version: production.version, threshold: production.threshold, scores };
        this.canary.push(answered, canary, applications, policy);
      });
    } catch {
      /* the canary's answers were given; only this comparison misses them */
    }
  }

  report(): ChallengersReport {
    return {
      window_capacity: this.capacity,
      production_version: this.models.current()?.version ?? null,
      shadow: this.shadow.figures(),
      canary: this.canary.figures(),
    };
  }
}
