import type { Clock } from './capture.tokens.js';

/**
 * When to try again after a failure: each failure in a row waits twice as long as the one before, from `floorMs`
 * up to `ceilingMs` (equal, for a fixed pause), on an injected clock so that tests need not wait. A success
 * starts over.
 */
export class Backoff {
  private delayMs = 0;
  private retryAt = 0;

  constructor(
    private readonly clock: Clock,
    private readonly floorMs: number,
    private readonly ceilingMs: number,
  ) {}

  /** Counts a failure and returns how long the next attempt waits. */
  failed(): number {
    this.delayMs = Math.min(this.ceilingMs, Math.max(this.floorMs, this.delayMs * 2));
    this.retryAt = this.clock.now() + this.delayMs;
    return this.delayMs;
  }

  succeeded(): void {
    this.delayMs = 0;
    this.retryAt = 0;
  }

  /** True while the wait after the last failure has not passed. */
  get waiting(): boolean {
    return this.clock.now() < this.retryAt;
  }

  /** True from a failure until the next success (the log is down, as far as anyone knows). */
  get failing(): boolean {
    return this.retryAt > 0;
  }
}
