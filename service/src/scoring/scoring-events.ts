import { Injectable, Logger } from '@nestjs/common';
import { LogThrottle } from '../logging/log-throttle.js';
import { ScoredEvent, ShadowScoredEvent } from './scored-event.js';

export type ScoredListener = (event: ScoredEvent) => void;
export type ShadowScoredListener = (event: ShadowScoredEvent) => void;

/**
 * Scoring announced once: PredictService emits a ScoredEvent per call and the interested parties (drift,
 * prediction metrics, fairness, capture, shadow scoring) subscribe in their onModuleInit. Typed and
 * synchronous: a plain loop over listeners, with no allocation per call beyond the event. A listener that
 * throws is logged at a limited rate and never fails the answer or the other listeners.
 */
@Injectable()
export class ScoringEvents {
  private readonly logger = new Logger(ScoringEvents.name);
  private readonly throttle = new LogThrottle(5_000);
  private listeners: ScoredListener[] = [];
  private shadowListeners: ShadowScoredListener[] = [];

  subscribe(listener: ScoredListener): () => void {
    this.listeners = [...this.listeners, listener];
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }

  emit(event: ScoredEvent): void {
    this.deliver(this.listeners, event);
  }

  /** The shadow's scores of applications production answered: the challenger monitor listens. */
  subscribeShadow(listener: ShadowScoredListener): void {
    this.shadowListeners = [...this.shadowListeners, listener];
  }

  emitShadow(event: ShadowScoredEvent): void {
    this.deliver(this.shadowListeners, event);
  }

  private deliver<E>(listeners: ((event: E) => void)[], event: E): void {
    for (const listener of listeners) {
      try {
        listener(event);
      } catch (error) {
        this.throttle.run('listener', (suppressed) =>
          this.logger.error({ message: 'a scoring listener failed', reason: (error as Error).message, suppressed }),
        );
      }
    }
  }
}
