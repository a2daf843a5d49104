/**
 * At most one log line per key per interval; the lines held back are counted and reported with the next one.
 * A fault that repeats on every request (a full disk, a dead endpoint) then costs a line every few seconds,
 * not thousands, while the metric beside it still counts every occurrence.
 */
export class LogThrottle {
  private readonly last = new Map<string, { at: number; suppressed: number }>();

  constructor(
    private readonly intervalMs = 5_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Calls log with the number of lines suppressed since the last one, or counts this one as suppressed. */
  run(key: string, log: (suppressed: number) => void): boolean {
    const now = this.now();
    const entry = this.last.get(key);
    if (entry && now - entry.at < this.intervalMs) {
      entry.suppressed++;
      return false;
    }
    log(entry?.suppressed ?? 0);
    this.last.set(key, { at: now, suppressed: 0 });
    return true;
  }
}
