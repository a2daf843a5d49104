import { jest } from '@jest/globals';
import { RefreshSchedule } from './refresh-schedule.js';

/* When channel followers read their channels: at start, on a timer that skips while a read hangs, and on SIGHUP. */
describe('RefreshSchedule', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('reads at start and every interval, skipping ticks while a read is still running', async () => {
    let calls = 0;
    let finish: () => void = () => undefined;
    const schedule = new RefreshSchedule(() => {
      calls++;
      return new Promise<void>((resolve) => (finish = resolve));
    }, 1);
    schedule.start();
    expect(calls).toBe(1);
    jest.advanceTimersByTime(3_000);
    expect(calls).toBe(1); // the first read hangs: three ticks skipped
    finish();
    await Promise.resolve();
    await Promise.resolve();
    jest.advanceTimersByTime(1_000);
    expect(calls).toBe(2);
    schedule.stop();
    jest.advanceTimersByTime(5_000);
    expect(calls).toBe(2);
  });

  it('reads on SIGHUP even while a timed read runs, and stops listening when stopped', () => {
    let calls = 0;
    const schedule = new RefreshSchedule(() => {
      calls++;
      return new Promise<void>(() => undefined);
    }, 0);
    const listeners = process.listenerCount('SIGHUP');
    schedule.start();
    expect(process.listenerCount('SIGHUP')).toBe(listeners + 1);
    process.emit('SIGHUP', 'SIGHUP');
    expect(calls).toBe(2);
    schedule.stop();
    expect(process.listenerCount('SIGHUP')).toBe(listeners);
  });
});
