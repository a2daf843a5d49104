import { registerAs } from '@nestjs/config';
import { readFileSync } from 'node:fs';
import path from 'node:path';

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
  ortIntraOpThreads: number;
  /** Deadline of one call to S3 (model store and prediction log), retries included. */
  storeTimeoutMs: number;
  /** Deadline of a candidate model version's verification on its worker thread. */
  modelVerifyTimeoutMs: number;
  /** From SIGTERM to exit: past it, what the prediction log still holds is spilled to disk and the process exits. */
  shutdownTimeoutMs: number;
  /** Where prediction files wait while the log cannot take them (an outage, or shutdown); delivered later. */
  captureSpillDir: string;
  /** The spill directory's cap: past it, records that find the queue full are dropped and counted. */
  captureSpillMaxMb: number;
  /** Longest time to receive a request's headers (at most requestTimeoutMs). */
  headersTimeoutMs: number;
  /** Most open client connections; more are refused at accept, so the process keeps file descriptors for real work. */
  maxConnections: number;
  /** Failed credentials (wrong API key or admin token) per client IP per minute before it gets 429s. */
  authFailuresPerMinute: number;
  /** Bearer token for /metrics, /monitoring/* and /models/active; unset leaves them open. */
  metricsToken: string | undefined;
  /** redis://host:port for fleet-wide rate-limit counters; unset keeps them in process. */
  redisUrl: string | undefined;
  /**
   * Networks of the proxies whose X-Forwarded-For is believed (a load balancer's VPC, say), so limits and
   * lockouts count clients and not the balancer. Empty: the socket's address, and the header is ignored.
   */
  trustedProxies: string[];
  /** Seconds between CloudWatch Embedded Metric Format lines on stdout (fleet-wide alarms); 0 turns them off. */
  emfIntervalS: number;
  /** The credit policy's channel in the model store (policies live beside the models). */
  policyChannel: string;
  /** Reviewers of referred applications: their names and bearer tokens (REVIEWER_TOKENS=name:token,...). */
  reviewers: { name: string; token: string }[];
  /** Where reviewers' final decisions are written (a directory or s3://...), beside the prediction log; 'off': none. */
  decisionLog: string;
  /** Referred predictions this instance remembers for their reviewer (the oldest are forgotten past it). */
  referralCapacity: number;
  /** How long a fleet's shared referrals (in Redis, with REDIS_URL) wait for a reviewer. */
  referralTtlS: number;
}

const IPV4_CIDR = /^(\d{1,3}\.){3}\d{1,3}(\/\d{1,2})?$/;
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

/**
 * The soft limit on open files (Linux /proc), or null elsewhere. The default connection cap stays below it: a
 * flood of idle connections that takes every descriptor makes every real request fail (seen at nofile=1024).
 */
function openFileLimit(): number | null {
  try {
    const match = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}

export function defaultMaxConnections(nofile: number | null = openFileLimit()): number {
  // Room for the model store, the prediction log, logs and the runtime's own descriptors.
  return nofile === null ? 10_000 : Math.max(16, Math.min(10_000, Math.floor(nofile * 0.8)));
}

const text = (env: NodeJS.ProcessEnv, key: string, fallback: string) => (env[key] ?? '').trim() || fallback;

const REVIEWER_NAME = /^[A-Za-z0-9._@-]{1,64}$/;

/** REVIEWER_TOKENS: `name:token` pairs separated by commas; the name is what a final decision records. */
export function parseReviewers(raw: string | undefined): { name: string; token: string }[] {
  const pairs = (raw ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  return pairs.map((pair, i) => {
    const at = pair.indexOf(':');
    const name = at > 0 ? pair.slice(0, at) : '';
    const token = at > 0 ? pair.slice(at + 1) : '';
    // The token is never echoed: it is a secret.
    if (!REVIEWER_NAME.test(name))
      throw new Error(`REVIEWER_TOKENS: entry ${i + 1} must be name:token with a name of letters, digits, ._@-`);
    if (token.length < MIN_SECRET_LENGTH)
      throw new Error(`REVIEWER_TOKENS: the token of ${name} is shorter than ${MIN_SECRET_LENGTH} characters`);
    return { name, token };
  });
}

/** The decision log beside the prediction log: `<parent of PREDICTION_LOG>/decisions`. */
export function defaultDecisionLog(predictionLog: string): string {
  if (predictionLog === 'off') return 'off';
  const trimmed = predictionLog.replace(/\/+$/, '');
  if (trimmed.startsWith('s3://')) {
    const parts = trimmed.slice('s3://'.length).split('/');
    return `s3://${(parts.length > 1 ? parts.slice(0, -1) : parts).join('/')}/decisions`;
  }
  return `${path.dirname(trimmed)}/decisions`;
}

/** Reads and checks the environment contract of docs/configuration.md; a bad value stops startup with its name. */
/** The shortest API key or token accepted. */
export const MIN_SECRET_LENGTH = 16;

export function loadAppConfig(env: NodeJS.ProcessEnv): AppConfig {
  const logLevel = text(env, 'LOG_LEVEL', 'info');
  if (!LOG_LEVELS.includes(logLevel))
    throw new Error(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got '${logLevel}'`);
  const adminToken = env.ADMIN_TOKEN?.trim() || undefined;
  if (adminToken !== undefined && adminToken.length < MIN_SECRET_LENGTH)
    throw new Error(`ADMIN_TOKEN must be at least ${MIN_SECRET_LENGTH} characters`);
  const metricsToken = env.METRICS_TOKEN?.trim() || undefined;
  if (metricsToken !== undefined && metricsToken.length < MIN_SECRET_LENGTH)
    throw new Error(`METRICS_TOKEN must be at least ${MIN_SECRET_LENGTH} characters`);
  const apiKeys = (env.API_KEYS ?? '')
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean);
  // As long as the tokens: a key is the only secret between the internet and /predict, and the lockout of
  // wrong guesses lets a right one through (see security/request-gate.ts), so it must not be guessable.
  const shortKey = apiKeys.findIndex((k) => k.length < MIN_SECRET_LENGTH);
  if (shortKey >= 0)
    throw new Error(`API_KEYS: key ${shortKey + 1} is shorter than ${MIN_SECRET_LENGTH} characters (keys are secrets)`);
  const redisUrl = env.REDIS_URL?.trim() || undefined;
  // The URL is never echoed: it can hold the AUTH token.
  if (redisUrl !== undefined && !/^rediss?:\/\//.test(redisUrl))
    throw new Error('REDIS_URL must start with redis:// or rediss://');
  const trustedProxies = (env.TRUST_PROXY ?? '')
    .split(',')
    .map((c) => c.trim())
    .filter(Boolean);
  const notCidr = trustedProxies.find((c) => !IPV4_CIDR.test(c));
  if (notCidr !== undefined)
    throw new Error(`TRUST_PROXY must be IPv4 addresses or CIDRs separated by commas, got '${notCidr.slice(0, 40)}'`);
  const config: AppConfig = {
    redisUrl,
    trustedProxies,
    emfIntervalS: integer(env, 'EMF_INTERVAL_S', 60, 0, 3600),
    port: integer(env, 'PORT', 3000, 0, 65535),
    host: text(env, 'HOST', '0.0.0.0'),
    modelStore: text(env, 'MODEL_STORE', './models'),
    modelName: text(env, 'MODEL_NAME', 'loan-default'),
    modelChannel: text(env, 'MODEL_CHANNEL', 'production'),
    pollIntervalS: integer(env, 'MODEL_POLL_INTERVAL_S', 30, 0, 86_400),
    predictionLog: text(env, 'PREDICTION_LOG', './var/predictions'),
    adminToken,
    apiKeys,
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
    ortIntraOpThreads: integer(env, 'ORT_INTRA_OP_THREADS', 1, 1, 64),
    storeTimeoutMs: integer(env, 'STORE_TIMEOUT_MS', 5_000, 100, 600_000),
    modelVerifyTimeoutMs: integer(env, 'MODEL_VERIFY_TIMEOUT_MS', 30_000, 1_000, 600_000),
    shutdownTimeoutMs: integer(env, 'SHUTDOWN_TIMEOUT_MS', 8_000, 500, 600_000),
    captureSpillDir: text(env, 'CAPTURE_SPILL_DIR', './var/predictions-spill'),
    captureSpillMaxMb: integer(env, 'CAPTURE_SPILL_MAX_MB', 1024, 1, 1_000_000),
    headersTimeoutMs: integer(env, 'HEADERS_TIMEOUT_MS', 10_000, 100, 600_000),
    maxConnections: integer(env, 'MAX_CONNECTIONS', defaultMaxConnections(), 1, 1_000_000),
    authFailuresPerMinute: integer(env, 'AUTH_FAILURES_PER_MINUTE', 30, 1, 1_000_000),
    metricsToken,
    policyChannel: text(env, 'POLICY_CHANNEL', 'production'),
    reviewers: parseReviewers(env.REVIEWER_TOKENS),
    decisionLog: text(env, 'DECISION_LOG', defaultDecisionLog(text(env, 'PREDICTION_LOG', './var/predictions'))),
    referralCapacity: integer(env, 'REFERRAL_CAPACITY', 100_000, 1, 10_000_000),
    referralTtlS: integer(env, 'REFERRAL_TTL_S', 14 * 86_400, 60, 366 * 86_400),
  };
  // Settings that are each valid but cannot work together.
  if (config.captureQueueLimit < config.captureBatchSize) {
    throw new Error(
      `CAPTURE_QUEUE_LIMIT (${config.captureQueueLimit}) must be at least CAPTURE_BATCH_SIZE (${config.captureBatchSize}): a smaller queue never fills a batch and drops most records`,
    );
  }
  if (config.headersTimeoutMs > config.requestTimeoutMs) {
    throw new Error(
      `HEADERS_TIMEOUT_MS (${config.headersTimeoutMs}) must be at most REQUEST_TIMEOUT_MS (${config.requestTimeoutMs})`,
    );
  }
  return config;
}

/** The typed configuration as a @nestjs/config namespace: inject with @Inject(appConfig.KEY). */
export const appConfig = registerAs('app', (): AppConfig => loadAppConfig(process.env));
