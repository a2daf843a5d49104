import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { appConfig } from '../config/app.config.js';
import { LogThrottle } from '../logging/log-throttle.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { ScoringEvents } from '../scoring/scoring-events.js';
import { BlobExistsError, isTimeout, type BlobStore } from '../storage/blob-store.js';
import { DECISION_LOG, SHARED_REFERRALS } from './decisions.tokens.js';
import { FinalDecision, FinalDecisionRecord, finalDecisionRecord } from './final-decision.js';
import { Referral, ReferralIndex } from './referral-index.js';
import type { SharedReferrals } from './shared-referrals.js';

export type ReviewOutcome =
  | { status: 'recorded'; record: FinalDecisionRecord }
  /** Not a referral this instance holds (never referred, answered elsewhere, or forgotten past REFERRAL_CAPACITY). */
  | { status: 'unknown' }
  /** Decided already (here, or by another instance: the log's conditional write refused it). */
  | { status: 'decided' }
  /** The decision log is off, or could not be written: nothing was recorded. */
  | { status: 'unavailable'; reason: string };

/** Reviewers' figures since this instance started (GET /monitoring/decisions). */
export interface ReviewFigures {
  decided: number;
  overrides: number;
  override_rate: number | null;
  final_decisions: Record<FinalDecision, number>;
  open_referrals: number;
  /** Referrals forgotten past REFERRAL_CAPACITY before a reviewer decided them here. */
  referrals_forgotten_undecided: number;
}

/**
 * What happens to a referred application: the referrals this instance answers are remembered (ReferralIndex),
 * and a reviewer's final decision on one is written to DECISION_LOG once, beside the prediction log. Once is
 * enforced twice: here (a referral being recorded or decided is refused at once) and by the log's
 * if-absent write, which makes it hold across a fleet. A decision is answered only after it is written, so a
 * decision that was answered for is never lost.
 */
@Injectable()
export class DecisionsService implements OnModuleInit {
  private readonly logger = new Logger(DecisionsService.name);
  private readonly throttle = new LogThrottle(10_000);
  private readonly referrals: ReferralIndex;
  private readonly figures = { overrides: 0, approve: 0, decline: 0 };

  constructor(
    @Inject(DECISION_LOG) private readonly log: BlobStore | null,
    @Inject(SHARED_REFERRALS) private readonly shared: SharedReferrals | null,
    @Inject(appConfig.KEY) config: ConfigType<typeof appConfig>,
    private readonly events: ScoringEvents,
    private readonly metrics: MetricsService,
  ) {
    this.referrals = new ReferralIndex(config.referralCapacity);
  }

  onModuleInit(): void {
    this.events.subscribe((event) => {
      let referred: Referral[] | null = null;
      for (let i = 0; i < event.answers.length; i++) {
        const answer = event.answers[i];
        if (answer.decision !== 'refer') continue;
        const referral: Referral = {
          prediction_id: answer.prediction_id,
          application_id: answer.application_id ?? null,
          answered_at: event.time,
          probability_of_default: answer.probability_of_default,
          threshold: answer.threshold,
          model_version: answer.model_version,
          policy_version: answer.policy_version,
          rules_fired: answer.rules_fired,
          state: 'open',
        };
        this.referrals.add(referral);
        (referred ??= []).push(referral);
      }
      // Shared once the answer has gone: the request never waits for Redis.
      if (referred && this.shared) setImmediate(() => this.shared!.share(referred));
    });
  }

  async record(
    predictionId: string,
    review: { final_decision: FinalDecision; reason_code: string },
    reviewer: string,
  ): Promise<ReviewOutcome> {
    const referral = this.referrals.get(predictionId) ?? (await this.sharedReferral(predictionId));
    if (referral === 'unavailable')
      return { status: 'unavailable', reason: 'the referral could not be looked up in the fleet (Redis); retry' };
    if (!referral) return { status: 'unknown' };
    if (referral.state !== 'open') return { status: 'decided' };
    if (!this.log) return { status: 'unavailable', reason: 'DECISION_LOG is off: final decisions cannot be recorded' };
    referral.state = 'recording';
    const record = finalDecisionRecord(referral, review, reviewer, new Date());
    try {
      await this.log.put(`${predictionId}.json`, Buffer.from(JSON.stringify(record) + '\n'), {
        ifAbsent: true,
        contentType: 'application/json',
      });
    } catch (error) {
      if (error instanceof BlobExistsError) {
        this.referrals.decided(referral);
        return { status: 'decided' };
      }
      referral.state = 'open';
      const reason = isTimeout(error) ? 'the decision log did not answer in time' : (error as Error).message;
      this.throttle.run('decision-log', (suppressed) =>
        this.logger.error({ message: 'final decision not recorded', prediction_id: predictionId, reason, suppressed }),
      );
      return { status: 'unavailable', reason: `the decision was not recorded (${reason}); retry` };
    }
    this.referrals.decided(referral);
    this.figures[record.final_decision]++;
    if (record.override) this.figures.overrides++;
    this.metrics.reviews.inc({ final_decision: record.final_decision, override: String(record.override) });
    this.logger.log({
      message: 'final decision recorded',
      prediction_id: predictionId,
      final_decision: record.final_decision,
      reason_code: record.reason_code,
      reviewer,
      override: record.override,
    });
    return { status: 'recorded', record };
  }

  /** A referral another instance of the fleet answered (then remembered here too, to guard its one decision). */
  private async sharedReferral(predictionId: string): Promise<Referral | null | 'unavailable'> {
    if (!this.shared) return null;
    let referral: Referral | null;
    try {
      referral = await this.shared.find(predictionId);
    } catch (error) {
      this.throttle.run('referral-lookup', (suppressed) =>
        this.logger.error({ message: 'referral lookup failed', reason: (error as Error).message, suppressed }),
      );
      return 'unavailable';
    }
    if (!referral) return null;
    // A call for the same referral may have remembered it while this one waited for Redis: one entry guards both.
    // (Another instance may have decided it: the decision log's conditional write is what says so.)
    const known = this.referrals.get(predictionId);
    if (known) return known;
    const remembered: Referral = { ...referral, state: 'open' };
    this.referrals.add(remembered);
    return remembered;
  }

  reviewFigures(): ReviewFigures {
    const { overrides, approve, decline } = this.figures;
    const decided = approve + decline;
    return {
      decided,
      overrides,
      override_rate: decided > 0 ? overrides / decided : null,
      final_decisions: { approve, decline },
      open_referrals: this.referrals.open,
      referrals_forgotten_undecided: this.referrals.forgottenOpen,
    };
  }
}
