import { FixedWindowThrottlerStorage } from '../../service/src/security/fixed-window-storage.js';

describe('FixedWindowThrottlerStorage', () => {
  it('allows `limit` hits per window per key, then blocks until the window ends', async () => {
    const storage = new FixedWindowThrottlerStorage();
    const hit = (key: string) => storage.increment(key, 200, 3, 0, 'default');
    for (let i = 1; i <= 3; i++) expect(await hit('a')).toMatchObject({ totalHits: i, isBlocked: false });
    const blocked = await hit('a');
    expect(blocked).toMatchObject({ totalHits: 4, isBlocked: true });
    expect(blocked.timeToBlockExpire).toBeGreaterThanOrEqual(1);
    expect(await hit('b')).toMatchObject({ totalHits: 1, isBlocked: false });
    await new Promise((r) => setTimeout(r, 250));
    expect(await hit('a')).toMatchObject({ totalHits: 1, isBlocked: false });
  });
});

describe('FixedWindowThrottlerStorage memory', () => {
  it('drops windows once they have ended (and their block with them)', () => {
    let now = 0;
    const storage = new FixedWindowThrottlerStorage(60_000, 1_000, () => now);
    for (let i = 0; i < 500; i++) storage.increment(`ip:${i}`, 60_000, 10, 0, 'default');
    for (let i = 0; i < 12; i++) storage.increment('ip:busy', 60_000, 10, 0, 'default');
    expect(storage.size).toBe(501);
    now = 60_000;
    storage.sweep();
    expect(storage.size).toBe(0);
  });

  it('holds at most its cap however many clients come, evicting the oldest when all are live', () => {
    let now = 0;
    const cap = 1_000;
    const storage = new FixedWindowThrottlerStorage(60_000, cap, () => now);
    let largest = 0;
    for (let i = 0; i < 1_000_000; i++) {
      if (i % 1000 === 0) now++;
      storage.increment(`ip:10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`, 60_000, 30, 0, 'default');
      largest = Math.max(largest, storage.size);
    }
    expect(largest).toBe(cap);
    // The newest client is still counted; the oldest were let go.
    expect(storage.increment('ip:10.15.66.63', 60_000, 30, 0, 'default').totalHits).toBe(2);
    expect(storage.increment('ip:10.0.0.0', 60_000, 30, 0, 'default').totalHits).toBe(1);
  });
});
