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
