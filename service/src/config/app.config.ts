import { registerAs } from '@nestjs/config';

export interface AppConfig {
  port: number;
  host: string;
  modelStore: string;
  modelName: string;
  modelChannel: string;
  pollIntervalS: number;
  predictionLog: string;
  adminToken: string | undefined;
  apiKeys: string[];
  logLevel: string;
  bodyLimitBytes: number;
  /** Prediction capture: records per file, longest wait before a partial file, most records held in memory. */
  captureBatchSize: number;
  captureFlushMs: number;
  captureQueueLimit: number;
  /** Live applications kept for drift (a sliding window). */
  driftWindow: number;
  /** Requests per minute per API key (or client IP without keys) on scoring and admin routes; 0 turns it off. */
  rateLimitPerMinute: number;
  /** Longest time to receive a whole request. */
  requestTimeoutMs: number;
  /** Micro-batching: most rows in one session run, and how long a lone request may wait for company. */
  microbatchMaxRows: number;
  microbatchWaitMs: number;
}

const LOG_LEVELS = ['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly'];

function integer(env: NodeJS.ProcessEnv, key: string, fallback: number, min: number, max: number): number {
  const raw = env[key];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${key} must be an integer from ${min} to ${max}, got '${raw}'`);
  }
  return value;
}

const text = (env: NodeJS.ProcessEnv, key: string, fallback: string) => (env[key] ?? '').trim() || fallback;

/** Reads and checks the environment contract of DESIGN.md; a bad value stops startup with its name. */
export function loadAppConfig(env: NodeJS.ProcessEnv): AppConfig {
  const logLevel = text(env, 'LOG_LEVEL', 'info');
  if (!LOG_LEVELS.includes(logLevel)) throw new Error(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got '${logLevel}'`);
  const adminToken = env.ADMIN_TOKEN?.trim() || undefined;
  if (adminToken !== undefined && adminToken.length < 16) throw new Error('ADMIN_TOKEN must be at least 16 characters');
  return {
    port: integer(env, 'PORT', 3000, 0, 65535),
    host: text(env, 'HOST', '0.0.0.0'),
    modelStore: text(env, 'MODEL_STORE', './models'),
    modelName: text(env, 'MODEL_NAME', 'loan-default'),
    modelChannel: text(env, 'MODEL_CHANNEL', 'production'),
    pollIntervalS: integer(env, 'MODEL_POLL_INTERVAL_S', 30, 0, 86_400),
    predictionLog: text(env, 'PREDICTION_LOG', './var/predictions'),
    adminToken,
    apiKeys: (env.API_KEYS ?? '').split(',').map((k) => k.trim()).filter(Boolean),
    logLevel,
    bodyLimitBytes: integer(env, 'BODY_LIMIT_BYTES', 2 * 1024 * 1024, 1024, 64 * 1024 * 1024),
    captureBatchSize: integer(env, 'CAPTURE_BATCH_SIZE', 1000, 1, 100_000),
    captureFlushMs: integer(env, 'CAPTURE_FLUSH_MS', 1000, 10, 3_600_000),
    captureQueueLimit: integer(env, 'CAPTURE_QUEUE_LIMIT', 100_000, 1, 10_000_000),
    driftWindow: integer(env, 'DRIFT_WINDOW', 5000, 10, 1_000_000),
    rateLimitPerMinute: integer(env, 'RATE_LIMIT_PER_MINUTE', 60_000, 0, 1_000_000_000),
    requestTimeoutMs: integer(env, 'REQUEST_TIMEOUT_MS', 30_000, 100, 600_000),
    microbatchMaxRows: integer(env, 'MICROBATCH_MAX_ROWS', 64, 1, 1000),
    microbatchWaitMs: integer(env, 'MICROBATCH_WAIT_MS', 0, 0, 100),
  };
}

/** The typed configuration as a @nestjs/config namespace: inject with @Inject(appConfig.KEY). */
export const appConfig = registerAs('app', (): AppConfig => loadAppConfig(process.env));
