import 'reflect-metadata';
import { LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { randomUUID } from 'node:crypto';
import { AppModule } from './app.module.js';
import { AllExceptionsFilter } from './common/all-exceptions.filter.js';
import { createValidationPipe } from './common/validation.js';
import { AppConfig } from './config/app.config.js';
import { createJsonLogger } from './logging/logger.js';
import { RequestLog, requestLogEnabled } from './logging/request-log.js';
import { securityHeaders } from './security/security-headers.js';
import { ModelService } from './model/model.service.js';
import { MetricsService } from './monitoring/metrics.service.js';

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
      'Probability of default and an approve/decline decision for loan applications, from a versioned ONNX model. ' +
        'Every field of the data contract is required; unknown fields are rejected.',
    )
    .setVersion('1')
    .addBearerAuth()
    .addApiKey({ type: 'apiKey', in: 'header', name: 'x-api-key' }, 'api-key')
    .build();
  return SwaggerModule.createDocument(app, config);
}

/** Builds the Nest app on Fastify with the global pipe, filter, logging and Swagger; does not listen. */
export async function createApp(config: AppConfig, logger: LoggerService = createJsonLogger(config.logLevel)) {
  const adapter = new FastifyAdapter({
    bodyLimit: config.bodyLimitBytes,
    requestTimeout: config.requestTimeoutMs,
    // Longer than the idle timeouts of common load balancers (60 s), so they close first.
    keepAliveTimeout: 72_000,
    genReqId: requestId,
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
  const headers = securityHeaders();
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.headers(headers).header('x-request-id', request.id);
    done();
  });
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
