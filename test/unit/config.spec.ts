import { defaultDecisionLog, defaultMaxConnections, loadAppConfig } from '../../service/src/config/app.config.js';

describe('loadAppConfig', () => {
  it('has the defaults of docs/configuration.md', () => {
    expect(loadAppConfig({})).toMatchObject({
      port: 3000,
      host: '0.0.0.0',
      modelStore: './models',
      modelName: 'loan-default',
      modelChannel: 'production',
      pollIntervalS: 30,
      predictionLog: './var/predictions',
      adminToken: undefined,
      apiKeys: [],
      logLevel: 'info',
    });
  });

  it('reads every variable', () => {
    const config = loadAppConfig({
      PORT: '8080',
      HOST: '127.0.0.1',
      MODEL_STORE: 's3://b/p',
      MODEL_NAME: 'm',
      MODEL_CHANNEL: 'canary',
      MODEL_POLL_INTERVAL_S: '0',
      PREDICTION_LOG: 'off',
      ADMIN_TOKEN: 'a-long-enough-token',
      API_KEYS: 'key-one-0123456789, key-two-0123456789,',
      LOG_LEVEL: 'debug',
      TRUST_PROXY: '172.31.0.0/16, 10.0.0.1',
    });
    expect(config).toMatchObject({
      port: 8080,
      modelStore: 's3://b/p',
      pollIntervalS: 0,
      apiKeys: ['key-one-0123456789', 'key-two-0123456789'],
      logLevel: 'debug',
      trustedProxies: ['172.31.0.0/16', '10.0.0.1'],
    });
  });

  it.each([
    [{ PORT: 'abc' }, /PORT must be an integer/],
    [{ PORT: '70000' }, /PORT must be an integer from 0 to 65535/],
    [{ MODEL_POLL_INTERVAL_S: '-1' }, /MODEL_POLL_INTERVAL_S/],
    [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL must be one of/],
    [{ ADMIN_TOKEN: 'short' }, /ADMIN_TOKEN must be at least 16/],
    [{ METRICS_TOKEN: 'short' }, /METRICS_TOKEN must be at least 16/],
    [
      { CAPTURE_BATCH_SIZE: '1000', CAPTURE_QUEUE_LIMIT: '20' },
      /CAPTURE_QUEUE_LIMIT \(20\) must be at least CAPTURE_BATCH_SIZE \(1000\)/,
    ],
    [{ HEADERS_TIMEOUT_MS: '40000' }, /HEADERS_TIMEOUT_MS \(40000\) must be at most REQUEST_TIMEOUT_MS \(30000\)/],
    [{ STORE_TIMEOUT_MS: '0' }, /STORE_TIMEOUT_MS must be an integer from 100/],
    [{ TRUST_PROXY: 'true' }, /TRUST_PROXY must be IPv4 addresses or CIDRs/],
    // Keys are secrets like the tokens: `API_KEYS=a` was accepted.
    [{ API_KEYS: 'a' }, /API_KEYS: key 1 is shorter than 16 characters/],
    [{ API_KEYS: 'key-one-0123456789,short' }, /API_KEYS: key 2 is shorter than 16/],
    [{ MODEL_VERIFY_TIMEOUT_MS: '10' }, /MODEL_VERIFY_TIMEOUT_MS must be an integer from 1000/],
  ])('names the variable of a bad value %p', (env, message) => {
    expect(() => loadAppConfig(env)).toThrow(message);
  });

  it('reads reviewers as name:token pairs, never echoing a token, and puts decisions beside the prediction log', () => {
    expect(
      loadAppConfig({ REVIEWER_TOKENS: 'alice:token-alice-0123456789, bob:token-bob-012345678' }).reviewers,
    ).toEqual([
      { name: 'alice', token: 'token-alice-0123456789' },
      { name: 'bob', token: 'token-bob-012345678' },
    ]);
    expect(() => loadAppConfig({ REVIEWER_TOKENS: 'alice:short-secret' })).toThrow(
      'REVIEWER_TOKENS: the token of alice is shorter than 16 characters',
    );
    expect(() => loadAppConfig({ REVIEWER_TOKENS: 'no-name-here-0123456789' })).toThrow(/entry 1 must be name:token/);
    expect(() => loadAppConfig({ REVIEWER_TOKENS: 'no-name-here-0123456789' })).not.toThrow(/0123456789/);
    expect(defaultDecisionLog('./var/predictions')).toBe('./var/decisions');
    expect(defaultDecisionLog('s3://bucket/predictions/')).toBe('s3://bucket/decisions');
    expect(defaultDecisionLog('s3://bucket')).toBe('s3://bucket/decisions');
    expect(defaultDecisionLog('off')).toBe('off');
    expect(loadAppConfig({ PREDICTION_LOG: 's3://data/predictions' }).decisionLog).toBe('s3://data/decisions');
    expect(loadAppConfig({ DECISION_LOG: 'off' }).decisionLog).toBe('off');
  });

  it('never echoes a malformed REDIS_URL, which can hold its AUTH token', () => {
    const secret = 'hunter2-auth-token-0123456789';
    let message = '';
    try {
      loadAppConfig({ REDIS_URL: `http://:${secret}@cache.internal:6379` });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/REDIS_URL must start with redis:\/\/ or rediss:\/\//);
    expect(message).not.toContain('hunter2');
  });

  it('bounds every outside call and the shutdown by default, below a container stop timeout of 10 s', () => {
    const config = loadAppConfig({});
    expect(config.storeTimeoutMs).toBe(5_000);
    expect(config.shutdownTimeoutMs).toBeLessThan(10_000);
    expect(config.headersTimeoutMs).toBeLessThanOrEqual(config.requestTimeoutMs);
  });

  it('keeps the default connection cap below the open-file limit', () => {
    expect(defaultMaxConnections(1024)).toBe(819);
    expect(defaultMaxConnections(1_048_576)).toBe(10_000);
    expect(defaultMaxConnections(null)).toBe(10_000);
  });
});
