import { Logger } from '@nestjs/common';
import { AllExceptionsFilter } from '../../service/src/common/all-exceptions.filter.js';
import { VALID_APPLICATION } from '../helpers/applications.js';
import { postJson, startService } from '../helpers/service-process.js';

describe('API keys and rate limits', () => {
  it('requires a valid x-api-key on scoring routes when API_KEYS is set, and limits each client with Retry-After', async () => {
    const service = await startService({
      API_KEYS: 'key-one-0123456789,key-two-0123456789',
      RATE_LIMIT_PER_MINUTE: '5',
    });
    try {
      expect((await postJson(`${service.url}/predict`, VALID_APPLICATION)).status).toBe(401);
      const wrong = await postJson(`${service.url}/predict`, VALID_APPLICATION, { 'x-api-key': 'key-one-012345678' });
      expect(wrong.status).toBe(401);
      expect(wrong.json.message).toEqual(['a valid x-api-key header is required']);
      expect((await postJson(`${service.url}/predict/batch`, { applications: [VALID_APPLICATION] })).status).toBe(401);
      for (let i = 0; i < 5; i++) {
        expect(
          (await postJson(`${service.url}/predict`, VALID_APPLICATION, { 'x-api-key': 'key-one-0123456789' })).status,
        ).toBe(200);
      }
      const limited = await postJson(`${service.url}/predict`, VALID_APPLICATION, {
        'x-api-key': 'key-one-0123456789',
      });
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
      // Another key has its own budget; health and metrics are never limited or keyed.
      expect(
        (await postJson(`${service.url}/predict`, VALID_APPLICATION, { 'x-api-key': 'key-two-0123456789' })).status,
      ).toBe(200);
      expect((await fetch(`${service.url}/health/ready`)).status).toBe(200);
      expect((await fetch(`${service.url}/metrics`)).status).toBe(200);
      expect(JSON.stringify(service.logs)).not.toContain('key-one-0123456789');
    } finally {
      await service.stop();
    }
  });

  it('does not let a client escape the limit by sending a new unchecked x-api-key each time', async () => {
    const service = await startService({ RATE_LIMIT_PER_MINUTE: '3' });
    try {
      const statuses = [];
      for (let i = 0; i < 5; i++) {
        statuses.push(
          (await postJson(`${service.url}/predict`, VALID_APPLICATION, { 'x-api-key': `made-up-${i}` })).status,
        );
      }
      expect(statuses).toEqual([200, 200, 200, 429, 429]);
    } finally {
      await service.stop();
    }
  });

  it("sends helmet's full set on documents, and the headers an API needs on JSON answers", async () => {
    const service = await startService({});
    try {
      const document = await fetch(`${service.url}/docs`);
      expect(document.headers.get('content-security-policy')).toContain("default-src 'self'");
      expect(document.headers.get('x-content-type-options')).toBe('nosniff');
      expect(document.headers.get('strict-transport-security')).toContain('max-age=');
      expect(document.headers.get('x-frame-options')).toBe('SAMEORIGIN');
      for (const response of [
        await fetch(`${service.url}/health/live`),
        await postJson(`${service.url}/predict`, VALID_APPLICATION),
        await postJson(`${service.url}/predict`, {}),
      ]) {
        expect(response.headers.get('x-content-type-options')).toBe('nosniff');
        expect(response.headers.get('cache-control')).toContain('no-store');
        expect(response.headers.get('content-security-policy')).toBeNull();
      }
      expect(document.headers.get('x-powered-by')).toBeNull();
    } finally {
      await service.stop();
    }
  });
});

describe('unexpected errors', () => {
  it('answers 500 in the one error shape, with the request id and no internals', () => {
    Logger.overrideLogger(false); // the filter logs the stack for operators; not needed in the test output
    let status = 0;
    let body: any;
    const reply = { status: (s: number) => ((status = s), reply), send: (b: unknown) => ((body = b), reply) };
    const host = {
      switchToHttp: () => ({ getRequest: () => ({ id: 'req-123', routeOptions: {} }), getResponse: () => reply }),
    };
    new AllExceptionsFilter().catch(
      new TypeError('cannot read properties of undefined (secret internals)'),
      host as never,
    );
    expect(status).toBe(500);
    expect(body).toEqual({
      statusCode: 500,
      error: 'Internal Server Error',
      message: ['internal error'],
      request_id: 'req-123',
    });
  });
});
