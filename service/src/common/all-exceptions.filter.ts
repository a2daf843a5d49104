import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { dtoOfSchema } from './contract-schema.js';
import { badRequest, FieldProblem, validateAgainstDto } from './validation.js';

interface SchemaError {
  instancePath: string;
  message?: string;
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
};

/** One shape for every 4xx, whether Nest or Fastify (body parsing, size, media type) raised it. */
function clientError(exception: unknown, status: number) {
  let body: Record<string, unknown> = {};
  if (exception instanceof HttpException) {
    const response = exception.getResponse();
    body = typeof response === 'string' ? { message: response } : { ...(response as Record<string, unknown>) };
  } else {
    body = { message: (exception as Error)?.message ?? 'bad request' };
  }
  if (status === 415) body.message = 'content-type must be application/json';
  const message = body.message;
  return {
    ...body,
    statusCode: status,
    error: STATUS_TEXT[status] ?? 'Client Error',
    message: Array.isArray(message) ? message : [String(message)],
  };
}

/**
 * Every error becomes a JSON answer carrying the request id. Client errors keep their status and message;
 * anything unexpected is logged with its stack and answered as a plain 500, never with internals.
 */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  /**
   * A body the route's JSON Schema refused: class-validator, whose decorators the schema was derived from,
   * names each offending field and rule. (ajv's own words are the fallback, and should never be needed.)
   */
  private async explainInvalidBody(request: FastifyRequest, reply: FastifyReply, schemaErrors: SchemaError[], requestId: string) {
    const dto = dtoOfSchema(request.routeOptions?.schema?.body);
    let problems: FieldProblem[] = dto ? await validateAgainstDto(dto as new () => object, request.body).catch(() => []) : [];
    if (problems.length === 0) {
      problems = schemaErrors.map((e) => {
        const field = e.instancePath.replace(/^\//, '').replace(/\//g, '.') || 'body';
        return { field, message: `${field} ${e.message ?? 'is invalid'}` };
      });
    }
    void reply.status(400).send({ ...(badRequest(problems).getResponse() as object), request_id: requestId });
  }

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const requestId = String(request.id);
    const schemaErrors = (exception as { validation?: SchemaError[] })?.validation;
    if (Array.isArray(schemaErrors)) {
      void this.explainInvalidBody(request, reply, schemaErrors, requestId);
      return;
    }
    const status =
      exception instanceof HttpException ? exception.getStatus() : (exception as { statusCode?: number })?.statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      void reply.status(status).send({ ...clientError(exception, status), request_id: requestId });
      return;
    }
    if (exception instanceof HttpException) {
      void reply.status(status as number).send({ ...(exception.getResponse() as object), request_id: requestId });
      return;
    }
    this.logger.error({
      message: 'unhandled error',
      request_id: requestId,
      error: (exception as Error)?.message,
      stack: (exception as Error)?.stack,
    });
    void reply.status(500).send({ statusCode: 500, error: 'Internal Server Error', message: 'internal error', request_id: requestId });
  }
}
