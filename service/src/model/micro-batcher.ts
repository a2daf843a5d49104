/**
 * Scores concurrent small requests in one session run. While a run is in progress, new requests queue; when
 * it ends, everything queued (up to maxRows rows) goes in the next run. A request that finds the session
 * idle runs at once, so a lone client waits for nobody (unless waitMs > 0 asks it to wait for company).
 * Requests of maxRows rows or more skip the queue.
 */
export class MicroBatcher<Row> {
  private queue: { rows: readonly Row[]; resolve: (scores: Float32Array) => void; reject: (error: unknown) => void }[] =
    [];
  private queuedRows = 0;
  private running = false;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly run: (rows: readonly Row[]) => Promise<Float32Array>,
    private readonly maxRows: number,
    private readonly waitMs: number,
  ) {}

  score(rows: readonly Row[]): Promise<Float32Array> {
    if (rows.length >= this.maxRows) return this.run(rows);
    return new Promise((resolve, reject) => {
      this.queue.push({ rows, resolve, reject });
      this.queuedRows += rows.length;
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.running) return; // the run in progress takes the queue when it ends
    if (this.waitMs === 0 || this.queuedRows >= this.maxRows) {
      void this.drain();
    } else {
      this.timer ??= setTimeout(() => void this.drain(), this.waitMs);
    }
  }

  private async drain(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.running || this.queue.length === 0) return;
    this.running = true;
    const batch: typeof this.queue = [];
    let rows = 0;
    while (this.queue.length > 0 && (batch.length === 0 || rows + this.queue[0].rows.length <= this.maxRows)) {
      const item = this.queue.shift()!;
      rows += item.rows.length;
      batch.push(item);
    }
    this.queuedRows -= rows;
    try {
      const all = batch.length === 1 ? batch[0].rows : batch.flatMap((item) => item.rows);
      const scores = await this.run(all);
      let offset = 0;
      for (const item of batch) {
        item.resolve(scores.subarray(offset, offset + item.rows.length));
        offset += item.rows.length;
      }
    } catch (error) {
      for (const item of batch) item.reject(error);
    } finally {
      this.running = false;
      if (this.queue.length > 0) void this.drain();
    }
  }
}
