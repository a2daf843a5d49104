import type { MetricsService } from '../metrics/metrics.service.js';
import type { BlobStore } from '../storage/blob-store.js';
import type { SpillStore } from './capture.tokens.js';

/**
 * Moves spilled files into the prediction log, oldest first; a file leaves the spill only once the log has it
 * (at least once: a crash between the two sends it again).
 */
export class SpillDelivery {
  constructor(
    private readonly sink: BlobStore,
    private readonly spill: SpillStore,
    private readonly metrics: MetricsService,
  ) {}

  /**
   * Delivers while `more()` holds; stops at the first failure and returns it. With `outOfTime`, a put still
   * hanging when it resolves is left behind (its file stays on disk).
   */
  async deliverWhile(more: () => boolean, outOfTime?: Promise<'deadline'>): Promise<Error | null> {
    try {
      while (this.spill.files > 0 && more()) {
        const put = this.spill.deliverOldest((key, body) =>
          this.sink.put(key, body, { contentType: 'application/gzip' }),
        );
        if (outOfTime) {
          put.catch(() => undefined); // a put that fails after the deadline has nobody to tell
          if ((await Promise.race([put, outOfTime])) === 'deadline') return null;
        } else {
          await put;
        }
        this.metrics.captureSpillDelivered.inc();
      }
      return null;
    } catch (error) {
      return error as Error;
    } finally {
      this.metrics.captureSpillFiles.set(this.spill.files);
    }
  }
}
