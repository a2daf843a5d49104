import { loadAppConfig } from '../../service/src/config/app.config.js';
import { MetricsService } from '../../service/src/metrics/metrics.service.js';
import { FixedWindowThrottlerStorage } from '../../service/src/security/fixed-window-storage.js';
import { RequestGate } from '../../service/src/security/request-gate.js';

/** One request through the gate's hook, with just the request and reply fields it reads; answers its status. */
function send(gate: RequestGate, ip: string, apiKey: string): number {
  let status = 200;
  const reply = { code: (s: number) => ((status = s), reply), header: () => reply, send: () => reply };
  const request = { ip, id: 'r', headers: { 'x-api-key': apiKey }, routeOptions: { config: { access: 'client' } } };
  gate.hook.call({} as never, request as never, reply as never, () => undefined);
  return status;
}

describe('RequestGate', () => {
  const gate = () =>
    new RequestGate(
      loadAppConfig({ API_KEYS: 'key-one-0123456789', AUTH_FAILURES_PER_MINUTE: '1' }),
      new FixedWindowThrottlerStorage(),
      new MetricsService(),
    );

  it('refuses an address past its wrong-credential limit, the right key included', () => {
    const g = gate();
    expect(send(g, '10.0.0.1', 'wrong-key-0123456789')).toBe(401);
    expect(send(g, '10.0.0.1', 'wrong-key-0123456789')).toBe(429);
    expect(send(g, '10.0.0.1', 'key-one-0123456789')).toBe(429);
    expect(send(g, '10.0.0.2', 'key-one-0123456789')).toBe(200);
  });

  it('remembers at most 10,000 refused addresses, however many guess', () => {
    const g = gate();
    for (let i = 0; i < 12_000; i++) {
      const ip = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
      send(g, ip, 'wrong-key-0123456789');
      send(g, ip, 'wrong-key-0123456789');
    }
    expect((g as unknown as { refused: Map<string, number> }).refused.size).toBeLessThanOrEqual(10_000);
    // The latest addresses are still refused.
    expect(send(g, `10.0.46.223`, 'key-one-0123456789')).toBe(429);
  });
});
