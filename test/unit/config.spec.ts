import { loadAppConfig } from '../../service/src/config/app.config.js';

describe('loadAppConfig', () => {
  it('has the defaults of DESIGN.md', () => {
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
      PORT: '8080', HOST: '127.0.0.1', MODEL_STORE: 's3://b/p', MODEL_NAME: 'm', MODEL_CHANNEL: 'canary',
      MODEL_POLL_INTERVAL_S: '0', PREDICTION_LOG: 'off', ADMIN_TOKEN: 'a-long-enough-token', API_KEYS: 'k1, k2,',
      LOG_LEVEL: 'debug',
    });
    expect(config).toMatchObject({ port: 8080, modelStore: 's3://b/p', pollIntervalS: 0, apiKeys: ['k1', 'k2'], logLevel: 'debug' });
  });

  it.each([
    [{ PORT: 'abc' }, /PORT must be an integer/],
    [{ PORT: '70000' }, /PORT must be an integer from 0 to 65535/],
    [{ MODEL_POLL_INTERVAL_S: '-1' }, /MODEL_POLL_INTERVAL_S/],
    [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL must be one of/],
    [{ ADMIN_TOKEN: 'short' }, /ADMIN_TOKEN must be at least 16/],
  ])('names the variable of a bad value %p', (env, message) => {
    expect(() => loadAppConfig(env)).toThrow(message);
  });
});
