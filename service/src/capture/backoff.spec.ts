import { Backoff } from './backoff.js';

describe('Backoff', () => {
  const clock = { t: 1_000, now: () => clock.t };

  it('doubles the wait from the floor to the ceiling, on the clock it is given', () => {
    const backoff = new Backoff(clock, 1_000, 60_000);
    expect(backoff.failing).toBe(false);
    expect(backoff.waiting).toBe(false);
    expect([1, 2, 3, 4, 5, 6, 7, 8].map(() => backoff.failed())).toEqual([
      1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000,
    ]);
    expect(backoff.failing).toBe(true);
    expect(backoff.waiting).toBe(true);
    clock.t += 59_999;
    expect(backoff.waiting).toBe(true);
    clock.t += 1;
    expect(backoff.waiting).toBe(false);
    // Still failing until a success says otherwise.
    expect(backoff.failing).toBe(true);
  });

  it('starts over after a success', () => {
    const backoff = new Backoff(clock, 500, 10_000);
    backoff.failed();
    backoff.failed();
    backoff.succeeded();
    expect(backoff.failing).toBe(false);
    expect(backoff.waiting).toBe(false);
    expect(backoff.failed()).toBe(500);
  });

  it('is a fixed pause when floor and ceiling are equal', () => {
    const backoff = new Backoff(clock, 5_000, 5_000);
    expect([backoff.failed(), backoff.failed(), backoff.failed()]).toEqual([5_000, 5_000, 5_000]);
  });
});
