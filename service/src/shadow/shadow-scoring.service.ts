import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { LogThrottle } from '../logging/log-throttle.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { ChallengersService } from '../model/challengers.service.js';
import type { ScoredEvent } from '../scoring/scored-event.js';
import { ScoringEvents } from '../scoring/scoring-events.js';

/** The shadow version's answer to the applications of one scored event, in their order. */
export interface ShadowAnswer {
  version: string;
  threshold: number;
  scores: Float32Array;
}

/**
 * Rows waiting for a shadow score at most: past it the shadow skips (and counts) the applications rather than
 * queue work behind a slow challenger. Half the capture queue's default, the bound it had inside capture.
 */
export const SHADOW_MAX_WAITING_ROWS = 50_000;

/**
 * Scores every application production answered again with the shadow channel's version, after the answer has
 * gone (setImmediate runs after the reply is written), and announces both versions' scores (emitShadow) for
 * the challenger monitor. Its own listener of the scoring event, so a shadow is scored whether or not the
 * prediction log is on; capture asks scoreFor() for the same event's answer to write it beside production's,
 * and gets the same promise: each event is scored once, whichever listener asks first.
 */
@Injectable()
export class ShadowScoringService implements OnModuleInit {
  private readonly logger = new Logger(ShadowScoringService.name);
  private readonly throttle = new LogThrottle(5_000);
  private readonly answers = new WeakMap<ScoredEvent, Promise<ShadowAnswer | null> | null>();
  private waitingRows = 0;

  constructor(
    private readonly events: ScoringEvents,
    private readonly challengers: ChallengersService,
    private readonly metrics: MetricsService,
  ) {}

  onModuleInit(): void {
    this.events.subscribe((event) => void this.scoreFor(event));
  }

  /**
   * The shadow's answer to the event's applications (null when it fails), or null at once when there is no
   * shadow to ask: none set, the version that answered, a canary's answer (the monitor compares the shadow with
   * production), or too many rows already waiting.
   */
  scoreFor(event: ScoredEvent): Promise<ShadowAnswer | null> | null {
    const known = this.answers.get(event);
    if (known !== undefined) return known;
    const answer = this.startScoring(event);
    this.answers.set(event, answer);
    return answer;
  }

  private startScoring(event: ScoredEvent): Promise<ShadowAnswer | null> | null {
    const shadow = this.challengers.current('shadow');
    if (!shadow || event.role !== 'production' || shadow.version === event.model.version) return null;
    const rows = event.applications.length;
    if (this.waitingRows + rows > SHADOW_MAX_WAITING_ROWS) {
      this.metrics.shadowScores.inc({ outcome: 'skipped' }, rows);
      return null;
    }
    this.waitingRows += rows;
    const model = shadow.acquire();
    return new Promise<Float32Array>((resolve, reject) =>
      setImmediate(() => model.score(event.applications).then(resolve, reject)),
    )
      .then(
        (scores) => {
          this.metrics.shadowScores.inc({ outcome: 'scored' }, rows);
          const answer = { version: model.version, threshold: model.threshold, scores };
          this.events.emitShadow({
            production: {
              version: event.model.version,
              threshold: event.model.threshold,
              scores: event.answers.map((a) => a.probability_of_default),
            },
            shadow: answer,
            applications: event.applications,
            policy: event.policy,
          });
          return answer;
        },
        (error: Error) => {
          this.metrics.shadowScores.inc({ outcome: 'failed' }, rows);
          this.throttle.run('shadow', (suppressed) =>
            this.logger.error({
              message: 'shadow scoring failed; answers recorded without it',
              version: model.version,
              reason: error.message,
              suppressed,
            }),
          );
          return null;
        },
      )
      .finally(() => {
        model.releaseLease();
        this.waitingRows -= rows;
      });
  }
}
