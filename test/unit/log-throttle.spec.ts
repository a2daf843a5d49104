import { LogThrottle } from '../../service/src/logging/log-throttle.js';

describe('LogThrottle', () => {
  it('lets one line per key through per interval and reports how many it held back', () => {
    let now = 0;
    const throttle = new LogThrottle(1_000, () => now);
    const lines: [string, number][] = [];
    const log = (key: string) => throttle.run(key, (suppressed) => lines.push([key, suppressed]));
    for (let i = 0; i < 100; i++) log('a');
    log('b');
    now = 999;
    log('a');
    now = 1_000;
    log('a');
    expect(lines).toEqual([
      ['a', 0],
      ['b', 0],
      ['a', 100],
    ]);
  });
});
