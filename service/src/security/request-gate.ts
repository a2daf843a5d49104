import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';
import { errorBody } from '../common/error-body.js';
import { appConfig } from '../config/app.config.js';
import { LogThrottle } from '../logging/log-throttle.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { AccessKind, AccessRouteConfig, REVIEWER, type ReviewedRequest } from './access.decorator.js';
import { clientNetwork } from './client-network.js';
import { SecretSet } from './secret-set.js';
import {
  RATE_LIMIT_STORAGE,
  type RateLimitStorage,
  type ThrottlerStorageRecord,
} from './throttler-storage.interface.js';

export const API_KEY_HEADER = 'x-api-key';
const MINUTE_MS = 60_000;
/** Longest wait for a remote counter store (Redis) before the request goes through uncounted (fail open). */
const STORAGE_DEADLINE_MS = 50;
const BEARER = /^Bearer\s+(\S+)$/i;
/** Most addresses remembered as refused at once (a bound on memory; see forgetExpiredBlocks). */
const MAX_REFUSED_ADDRESSES = 10_000;

type Verdict = { status: number; message: string; kind: string; header?: [string, string] } | { client: string };

/**
 * A route kind checked by a bearer token: its tokens, the name each one stands for (reviewers: the name a decision
 * records; null where one token is shared), the kind its failures are counted under, and what a 401 asks for.
 */
interface Bearer {
  secrets: SecretSet;
  names: readonly string[] | null;
  kind: string;
  asks: string;
}

/**
 * The cheap checks of every request, in a Fastify onRequest hook, before the body is read, parsed or
 * validated: the caller's credential for the route's kind (see @Access), the per-client rate limit, and a limit
 * on wrong credentials per client network (AUTH_FAILURES_PER_MINUTE; an IPv4 address, an IPv6 /64). Past it,
 * every wrong or missing credential from that network gets 429 until the block ends, so guessing stops paying;
 * a valid credential still passes, so a sender of wrong keys cannot lock out the valid clients that share its
 * address (behind one NAT, or behind a proxy without TRUST_PROXY). A guesser learns nothing from that: keys and
 * tokens are at least 16 characters, far beyond what a few dozen guesses a minute can find.
 * Before this, the checks ran as Nest guards after parsing, and a 1 MB body of unknown keys was explained before
 * its key was even looked at.
 * With the in-process counters the hook never awaits; with a remote store it awaits at most
 * STORAGE_DEADLINE_MS and lets the request through if the store does not answer (counted and logged).
 */
@Injectable()
export class RequestGate {
  private readonly logger = new Logger(RequestGate.name);
  private readonly throttle = new LogThrottle(5_000);
  private readonly apiKeys: SecretSet;
  private readonly bearers: Record<Exclude<AccessKind, 'client'>, Bearer>;
  /** Client networks refused for wrong credentials, and until when (ms); learnt from the shared counter. */
  private readonly refused = new Map<string, number>();

  constructor(
    @Inject(appConfig.KEY) private readonly config: ConfigType<typeof appConfig>,
    @Inject(RATE_LIMIT_STORAGE) private readonly storage: RateLimitStorage,
    private readonly metrics: MetricsService,
  ) {
    this.apiKeys = new SecretSet(config.apiKeys);
    const one = (token: string | null | undefined) => new SecretSet(token ? [token] : []);
    this.bearers = {
      admin: { secrets: one(config.adminToken), names: null, kind: 'admin_token', asks: 'ADMIN_TOKEN' },
      monitoring: { secrets: one(config.metricsToken), names: null, kind: 'metrics_token', asks: 'METRICS_TOKEN' },
      reviewer: {
        secrets: new SecretSet(config.reviewers.map((r) => r.token)),
        names: config.reviewers.map((r) => r.name),
        kind: 'reviewer_token',
        asks: 'a token of REVIEWER_TOKENS',
      },
    };
    if (config.apiKeys.length > 0 && config.trustedProxies.length === 0) {
      this.logger.warn({
        message:
          'API_KEYS is set and TRUST_PROXY is not: limits count the address of the socket. Behind a load balancer ' +
          'or proxy, every client shares its address; set TRUST_PROXY to the proxies (docs/configuration.md)',
      });
    }
  }

  /** The hook to add with fastify.addHook('onRequest', ...). */
  readonly hook: onRequestHookHandler = (request, reply, done) => {
    const access = (request.routeOptions.config as AccessRouteConfig | undefined)?.access;
    if (!access) return done();
    const verdict = this.check(access, request);
    if ('status' in verdict) return this.refuse(request, reply, verdict);
    if (this.config.rateLimitPerMinute === 0) return done();
    const counted = this.count(`client:${verdict.client}`, this.config.rateLimitPerMinute);
    if (counted instanceof Promise) {
      counted.then(
        (record) => (record?.isBlocked ? this.limited(request, reply, record) : done()),
        () => done(),
      );
      return;
    }
    if (counted.isBlocked) return this.limited(request, reply, counted);
    done();
  };

  /** The credential check for a route kind; on success, the client to count the request against. */
  private check(access: AccessKind, request: FastifyRequest): Verdict {
    const ip = request.ip;
    if (access === 'monitoring' && this.bearers.monitoring.secrets.size === 0) return { client: `monitoring:${ip}` };
    if (access === 'client' && this.apiKeys.size === 0) return { client: `ip:${ip}` };
    if (access === 'client') {
      const given = request.headers[API_KEY_HEADER];
      const index = typeof given === 'string' ? this.apiKeys.indexOf(given) : -1;
      // Limits follow keys that were actually issued: an unchecked key would open a fresh budget per request.
      if (index >= 0) return { client: `key:${this.apiKeys.ids[index]}` };
      return this.failed(ip, 'api_key', 401, `a valid ${API_KEY_HEADER} header is required`);
    }
    const { secrets, names, kind, asks } = this.bearers[access];
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? BEARER.exec(header) : null;
    const index = match ? secrets.indexOf(match[1]) : -1;
    if (index >= 0) {
      if (!names) return { client: `${access}:${ip}` };
      // The credential names the reviewer: a final decision records who made it, never who said they did.
      (request as ReviewedRequest)[REVIEWER] = names[index];
      return { client: `${access}:${names[index]}` };
    }
    if (!match)
      return this.failed(ip, kind, 401, `${access} routes need Authorization: Bearer <${asks}>`, [
        'www-authenticate',
        'Bearer',
      ]);
    return this.failed(ip, kind, 403, `the ${access} token is not valid`);
  }

  /**
   * Blocks end on their own, but an address that never comes back would stay in the map: many addresses guessing
   * once each would grow it without end. Past MAX_REFUSED_ADDRESSES, ended blocks are dropped, then the oldest.
   */
  private forgetExpiredBlocks(): void {
    const now = Date.now();
    for (const [network, until] of this.refused) if (until <= now) this.refused.delete(network);
    for (const network of this.refused.keys()) {
      if (this.refused.size < MAX_REFUSED_ADDRESSES) break;
      this.refused.delete(network);
    }
  }

  /** The 429 for a wrong credential from a network refused for wrong credentials, while its block lasts. */
  private refusedVerdict(network: string): Verdict | null {
    const until = this.refused.get(network);
    if (until === undefined) return null;
    const left = until - Date.now();
    if (left <= 0) {
      this.refused.delete(network);
      return null;
    }
    return {
      status: 429,
      kind: 'auth_failures',
      message: 'too many wrong credentials from this network; see Retry-After',
      header: ['retry-after', String(Math.ceil(left / 1000))],
    };
  }

  /**
   * A wrong or missing credential: 429 while its network is refused; else counted per network, and the one that
   * crosses the limit already gets 429.
   */
  private failed(ip: string, kind: string, status: number, message: string, header?: [string, string]): Verdict {
    this.metrics.authFailures.inc({ kind });
    const network = clientNetwork(ip);
    const refused = this.refusedVerdict(network);
    if (refused) return refused;
    const counted = this.count(`auth:${network}`, this.config.authFailuresPerMinute);
    // A remote store answers later; the block then applies from the next request of this address.
    const apply = (record: ThrottlerStorageRecord | null) => {
      if (!record?.isBlocked) return false;
      const first = !this.refused.has(network);
      if (first && this.refused.size >= MAX_REFUSED_ADDRESSES) this.forgetExpiredBlocks();
      this.refused.set(network, Date.now() + record.timeToBlockExpire * 1000);
      if (first) {
        this.throttle.run(`auth-blocked:${network}`, (suppressed) =>
          this.logger.warn({
            message: 'too many wrong credentials; wrong credentials from this network refused',
            network,
            kind,
            limit_per_minute: this.config.authFailuresPerMinute,
            block_s: record.timeToBlockExpire,
            suppressed,
          }),
        );
      }
      return true;
    };
    if (counted instanceof Promise) {
      void counted.then(apply, () => false);
      return { status, kind, message, header };
    }
    return (apply(counted) && this.refusedVerdict(network)) || { status, kind, message, header };
  }

  /** One counter hit; a remote store's answer is awaited for at most STORAGE_DEADLINE_MS (then null: fail open). */
  private count(key: string, limit: number): ThrottlerStorageRecord | Promise<ThrottlerStorageRecord | null> {
    let result: ThrottlerStorageRecord | Promise<ThrottlerStorageRecord>;
    try {
      result = this.storage.increment(key, MINUTE_MS, limit, 0, 'default');
    } catch (error) {
      return Promise.resolve(this.storageFailed(error));
    }
    if (!(result instanceof Promise)) return result;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<null>((resolve) => {
      timer = setTimeout(
        () => resolve(this.storageFailed(new Error(`no answer in ${STORAGE_DEADLINE_MS} ms`))),
        STORAGE_DEADLINE_MS,
      );
    });
    return Promise.race([result.catch((error: unknown) => this.storageFailed(error)), deadline]).finally(() =>
      clearTimeout(timer),
    );
  }

  private storageFailed(error: unknown): null {
    this.metrics.rateLimitStorageFailures.inc();
    this.throttle.run('storage', (suppressed) =>
      this.logger.error({
        message: 'rate-limit storage unavailable; requests pass uncounted',
        reason: (error as Error).message,
        suppressed,
      }),
    );
    return null;
  }

  private limited(request: FastifyRequest, reply: FastifyReply, record: ThrottlerStorageRecord): void {
    this.refuse(request, reply, {
      status: 429,
      kind: 'client',
      message: `rate limit exceeded: at most ${this.config.rateLimitPerMinute} requests a minute per client; see Retry-After`,
      header: ['retry-after', String(Math.max(1, record.timeToBlockExpire))],
    });
  }

  private refuse(request: FastifyRequest, reply: FastifyReply, verdict: Extract<Verdict, { status: number }>): void {
    if (verdict.status === 429) this.metrics.rateLimited.inc({ reason: verdict.kind });
    if (verdict.header) void reply.header(verdict.header[0], verdict.header[1]);
    void reply.code(verdict.status).send(errorBody(verdict.status, verdict.message, String(request.id)));
  }
}
