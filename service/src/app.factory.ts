import 'reflect-metadata';
import { Logger, LoggerService } from '@nestjs/common';
import type { Server } from 'node:http';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { randomUUID } from 'node:crypto';
import { AppModule } from './app.module.js';
import { AllExceptionsFilter } from './common/all-exceptions.filter.js';
import { createValidationPipe } from './common/validation.js';
import { AppConfig } from './config/app.config.js';
import { errorBody } from './common/error-body.js';
import { createJsonLogger } from './logging/logger.js';
import { LogThrottle } from './logging/log-throttle.js';
import { RequestGate } from './security/request-gate.js';
import { RequestLog, requestLogEnabled } from './logging/request-log.js';
import { API_HEADERS, isDocument, securityHeaders } from './security/security-headers.js';
import { ModelService } from './model/model.service.js';
import { MetricsService } from './metrics/metrics.service.js';

/**
 * At most `max` open connections: Node refuses more at accept (net.Server.maxConnections), so a flood of idle
 * sockets cannot take every file descriptor; each refusal is counted and logged at a limited rate.
 */
function limitConnections(server: Server, max: number, metrics: MetricsService): void {
  server.maxConnections = max;
  const log = new Logger('Connections');
  const throttle = new LogThrottle(5_000);
  server.on('drop', () => {
    metrics.connectionsRefused.inc();
    throttle.run('drop', (suppressed) =>
      log.warn({ message: 'connection refused: MAX_CONNECTIONS open', max_connections: max, suppressed }),
    );
  });
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Honours a sane x-request-id from the caller so ids join across services; makes one otherwise. */
function requestId(request: { headers: Record<string, string | string[] | undefined> }): string {
  const given = request.headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
}

export function buildOpenApi(app: NestFastifyApplication) {
  const config = new DocumentBuilder()
    .setTitle('Loan default risk')
    .setDescription(
      'Probability of default and an approve, refer or decline decision for loan applications: the probability from a ' +
        'versioned ONNX model, the decision from a versioned credit policy (knock-out rules, cut-offs, a refer band that a person reviews). ' +
        'An approval rate counts approve only: a referral is not an approval. ' +
        'Every field of the data contract is required; unknown fields are rejected.',
    )
    .setVersion('1')
    // Opaque tokens compared as secrets, not JWTs: addSecurity, since addBearerAuth would add bearerFormat: JWT.
    .addSecurity('admin-token', {
      type: 'http',
      scheme: 'bearer',
      description: 'ADMIN_TOKEN, an opaque secret (admin routes)',
    })
    .addSecurity('metrics-token', {
      type: 'http',
      scheme: 'bearer',
      description: 'METRICS_TOKEN, an opaque secret (metrics and monitoring, when set)',
    })
    .addSecurity('reviewer-token', {
      type: 'http',
      scheme: 'bearer',
      description:
        "A reviewer's token from REVIEWER_TOKENS, an opaque secret (final decisions on referred applications)",
    })
    .addApiKey({ type: 'apiKey', in: 'header', name: 'x-api-key' }, 'api-key')
    .build();
  return SwaggerModule.createDocument(app, config);
}

/** Builds the Nest app on Fastify with the global pipe, filter, logging and Swagger; does not listen. */
export async function createApp(config: AppConfig, logger: LoggerService = createJsonLogger(config.logLevel)) {
  const headers = securityHeaders();
  const adapter = new FastifyAdapter({
    bodyLimit: config.bodyLimitBytes,
    requestTimeout: config.requestTimeoutMs,
    // Node's defaults cut slow headers only after 60 s and check timeouts every 30 s (a slow body lived 75 s
    // under a 30 s request timeout): headers have their own, shorter deadline, checked every 2 s.
    http: {
      headersTimeout: config.headersTimeoutMs,
      requestTimeout: config.requestTimeoutMs,
      connectionsCheckingInterval: 2_000,
    },
    // Errors Fastify answers before any route (a malformed URL, an over-long parameter): the same JSON
    // shape, headers and request id as every other error, and the URL is not echoed.
    frameworkErrors: (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
      const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 400;
      const message =
        error.code === 'FST_ERR_BAD_URL'
          ? 'the URL is not valid'
          : error.code === 'FST_ERR_MAX_PARAM_LENGTH'
            ? 'a URL parameter is too long'
            : 'bad request';
      void reply
        .code(status)
        .headers(API_HEADERS)
        .header('x-request-id', request.id)
        .send(errorBody(status, message, String(request.id)));
    },
    // Longer than the idle timeouts of common load balancers (60 s), so they close first.
    keepAliveTimeout: 72_000,
    genReqId: requestId,
    // Behind a load balancer: the client is the last address the balancer appended to X-Forwarded-For.
    ...(config.trustedProxies.length > 0 ? { trustProxy: config.trustedProxies } : {}),
    logger: false,
    return503OnClosing: true,
    // The schemas derived from the DTOs must be checked as written: no coercion ("1" is not 1), nothing
    // removed or defaulted, and the first error only (allErrors invites denial of service).
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, useDefaults: false, allErrors: false } },
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config), adapter, {
    logger,
    bufferLogs: true,
    // Fastify's own JSON parser only: Nest would add form and text parsers we do not accept.
    bodyParser: false,
  });
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new AllExceptionsFilter());
  // SIGHUP is not a shutdown here: it asks the model provider to check the channel now.
  app.enableShutdownHooks(['SIGTERM', 'SIGINT']);

  const fastify = app.getHttpAdapter().getInstance();
  // JSON only: a text body would reach the validator as a string; refuse it with 415 instead.
  fastify.removeContentTypeParser(['text/plain']);
  const models = app.get(ModelService);
  const metrics = app.get(MetricsService);
  // One onRequest hook: security headers and the request id, then credentials and rate limits, before the
  // body is read (refusing abuse must cost less than serving it).
  const gate = app.get(RequestGate).hook;
  fastify.addHook('onRequest', function (request, reply, done) {
    void reply.headers(isDocument(request.url) ? headers : API_HEADERS).header('x-request-id', request.id);
    gate.call(this, request, reply, done);
  });
  limitConnections(app.getHttpServer(), config.maxConnections, metrics);
  const requestLog = new RequestLog(requestLogEnabled(config.logLevel));
  fastify.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions?.url ?? 'unmatched';
    metrics.observeRequest(request.method, route, reply.statusCode, reply.elapsedTime / 1000);
    requestLog.write({
      request_id: String(request.id),
      method: request.method,
      route,
      status: reply.statusCode,
      latency_ms: Math.round(reply.elapsedTime * 100) / 100,
      model_version: models.current()?.version ?? null,
    });
    done();
  });

  // Built on the first request to /docs, not at startup (it takes a few hundred milliseconds).
  SwaggerModule.setup('docs', app, () => buildOpenApi(app), { jsonDocumentUrl: 'docs-json' });
  return app;
}
