import { MetricsService } from '../metrics/metrics.service.js';
import type { BlobStore } from '../storage/blob-store.js';
import type { SpillStore } from './capture.tokens.js';
import { SpillDelivery } from './spill-delivery.js';

/** A spill store in memory: files in order, removed once put. */
function memorySpill(keys: string[]): SpillStore & { left: string[] } {
  const left = [...keys];
  return {
    root: 'memory',
    left,
    get files() {
      return left.length;
    },
    load: async () => undefined,
    hasRoom: () => true,
    write: async () => undefined,
    writeSync: () => undefined,
    async deliverOldest(put) {
      await put(left[0], Buffer.from(left[0]));
      left.shift();
    },
  };
}

describe('SpillDelivery', () => {
  it('delivers oldest first while asked to, and counts each file', async () => {
    const put: string[] = [];
    const sink = { put: async (key: string) => void put.push(key) } as unknown as BlobStore;
    const spill = memorySpill(['a', 'b', 'c']);
    const metrics = new MetricsService();
    const delivery = new SpillDelivery(sink, spill, metrics);
    expect(await delivery.deliverWhile(() => put.length < 2)).toBeNull();
    expect([put, spill.left]).toEqual([['a', 'b'], ['c']]);
    expect((await metrics.captureSpillDelivered.get()).values[0].value).toBe(2);
    expect((await metrics.captureSpillFiles.get()).values[0].value).toBe(1);
  });

  it('stops at the first failure, keeps that file, and returns the error', async () => {
    const sink = {
      put: async () => {
        throw new Error('log down');
      },
    } as unknown as BlobStore;
    const spill = memorySpill(['a', 'b']);
    const error = await new SpillDelivery(sink, spill, new MetricsService()).deliverWhile(() => true);
    expect(error?.message).toBe('log down');
    expect(spill.left).toEqual(['a', 'b']);
  });

  it('leaves a put hanging at the deadline behind, its file kept', async () => {
    const sink = { put: () => new Promise<void>(() => undefined) } as unknown as BlobStore;
    const spill = memorySpill(['a']);
    const deadline = Promise.resolve('deadline' as const);
    expect(await new SpillDelivery(sink, spill, new MetricsService()).deliverWhile(() => true, deadline)).toBeNull();
    expect(spill.left).toEqual(['a']);
  });
});
