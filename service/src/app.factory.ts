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
    .build();
  return SwaggerModule.createDocument(app, config);
}

/** Builds the Nest app on Fastify with the global pipe, filter, logging and Swagger; does not listen. */
export async function createApp(config: AppConfig, logger: LoggerService = createJsonLogger(config.logLevel)) {
  const adapter = new FastifyAdapter({
    bodyLimit: config.bodyLimitBytes,
    genReqId: requestId,
    logger: false,
    return503OnClosing: true,
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
  fastify.addHook('onRequest', async (request, reply) => {
    void reply.header('x-request-id', request.id);
  });
  fastify.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions?.url;
    metrics.observeRequest(request.method, route, reply.statusCode, reply.elapsedTime / 1000);
    logger.log?.(
      {
        message: 'request',
        request_id: request.id,
        method: request.method,
        route: route ?? 'unmatched',
        status: reply.statusCode,
        latency_ms: Math.round(reply.elapsedTime * 100) / 100,
        model_version: models.current()?.version ?? null,
      },
      'http',
    );
  });

  SwaggerModule.setup('docs', app, buildOpenApi(app), { jsonDocumentUrl: 'docs-json' });
  return app;
}
