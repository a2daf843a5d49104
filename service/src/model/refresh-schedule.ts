/**
 * When a follower of model channels (production, the challengers) reads them: once at start, every `intervalS`
 * (0: never again) and on SIGHUP. A timed read is skipped while the previous one is still running, so a hung
 * store cannot pile them up; SIGHUP always asks, since an operator sent it after moving a channel.
 */
export class RefreshSchedule {
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private readonly onHangup = () => void this.refresh();

  constructor(
    private readonly refresh: () => Promise<unknown>,
    private readonly intervalS: number,
  ) {}

  start(): void {
    void this.tick();
    if (this.intervalS > 0) {
      this.timer = setInterval(() => void this.tick(), this.intervalS * 1000);
      this.timer.unref();
    }
    process.on('SIGHUP', this.onHangup);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    process.off('SIGHUP', this.onHangup);
  }

  private async tick(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      await this.refresh();
    } catch {
      // The follower reports its own failures; a timed read has nobody to tell.
    } finally {
      this.running = false;
    }
  }
}
