import { loadAppConfig } from '../../service/src/config/app.config.js';
import { MetricsService } from '../../service/src/metrics/metrics.service.js';
import { FixedWindowThrottlerStorage } from '../../service/src/security/fixed-window-storage.js';
import { RequestGate } from '../../service/src/security/request-gate.js';
import { clientNetwork } from '../../service/src/security/client-network.js';

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

  it('refuses wrong credentials from an address past its limit, and lets the right key through all the same', () => {
    const g = gate();
    expect(send(g, '10.0.0.1', 'wrong-key-0123456789')).toBe(401);
    expect(send(g, '10.0.0.1', 'wrong-key-0123456789')).toBe(429);
    // A valid client behind the same address (one NAT, or a proxy without TRUST_PROXY) is not locked out.
    expect(send(g, '10.0.0.1', 'key-one-0123456789')).toBe(200);
    expect(send(g, '10.0.0.1', 'wrong-key-0123456789')).toBe(429);
    expect(send(g, '10.0.0.1', '')).toBe(429);
    expect(send(g, '10.0.0.2', 'wrong-key-0123456789')).toBe(401);
  });

  it('counts an IPv6 client by its /64: rotating addresses inside it does not reset the count', () => {
    const g = gate();
    expect(send(g, '2001:db8:1:2::1', 'wrong-key-0123456789')).toBe(401);
    expect(send(g, '2001:db8:1:2:ffff::99', 'wrong-key-0123456789')).toBe(429);
    expect(send(g, '2001:0db8:0001:0002:abcd:1:2:3', 'wrong-key-0123456789')).toBe(429);
    // Another /64 is another client.
    expect(send(g, '2001:db8:1:3::1', 'wrong-key-0123456789')).toBe(401);
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
    expect(send(g, `10.0.46.223`, 'wrong-key-0123456789')).toBe(429);
  });
});

describe('clientNetwork', () => {
  it.each([
    ['10.1.2.3', '10.1.2.3'],
    ['::ffff:10.1.2.3', '10.1.2.3'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['2001:0DB8:0000:0001:0:0:0:1', '2001:db8:0:1::/64'],
    ['::1', '0:0:0:0::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
  ])('%s counts as %s', (ip, network) => {
    expect(clientNetwork(ip)).toBe(network);
  });
});
