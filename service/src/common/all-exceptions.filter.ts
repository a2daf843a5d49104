import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { dtoOfSchema, JsonSchema } from './contract-schema.js';
import { errorBody } from './error-body.js';
import { FieldProblem, validateAgainstDto } from './validation.js';

interface SchemaError {
  instancePath: string;
  message?: string;
}

/** At most this many problems are listed for one body; the rest are counted. */
export const MAX_PROBLEMS = 20;
/** Field names echoed back are cut to this length (they are the client's own keys, of any length). */
const MAX_FIELD_NAME = 64;

const clip = (text: string) => (text.length > MAX_FIELD_NAME ? `${text.slice(0, MAX_FIELD_NAME)}…` : text);

/** One shape for every 4xx, whether Nest or Fastify (body parsing, size, media type) raised it. */
/** An HttpException (or a Fastify error with a status) in the one error shape, its extra fields kept. */
function knownError(exception: unknown, status: number, requestId: string) {
  let body: Record<string, unknown>;
  if (exception instanceof HttpException) {
    const response = exception.getResponse();
    body = typeof response === 'string' ? { message: response } : { ...(response as Record<string, unknown>) };
  } else {
    body = { message: (exception as Error)?.message ?? 'bad request' };
  }
  if (status === 415) body.message = 'content-type must be application/json';
  const message = body.message;
  delete body.statusCode;
  delete body.error;
  return errorBody(status, Array.isArray(message) ? message.map(String) : [String(message)], requestId, body);
}

/**
 * A cheap answer for a body far outside the contract, before class-validator sees it: explaining 100,000
 * unknown keys (1.1 MB) one by one held the event loop for 5.0 s, in class-transformer. An object (or batch item) with
 * more keys
 * than its schema has properties must hold unknown ones, and gets one problem.
 */
function tooManyFields(body: unknown, schema: JsonSchema | undefined, at = 'body'): FieldProblem | null {
  if (!schema || body === null || typeof body !== 'object' || Array.isArray(body)) return null;
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const allowed = Object.keys(properties).length;
  const count = Object.keys(body).length;
  if (count > allowed) {
    return {
      field: at,
      message: `${at} has ${count} fields; at most ${allowed} are allowed (unknown fields are rejected)`,
    };
  }
  for (const [name, property] of Object.entries(properties)) {
    const value = (body as Record<string, unknown>)[name];
    const items = property.items as JsonSchema | undefined;
    if (!Array.isArray(value) || items?.type !== 'object') continue;
    for (let i = 0; i < value.length; i++) {
      const problem = tooManyFields(value[i], items, `${name}.${i}`);
      if (problem) return problem;
    }
  }
  return null;
}

/** The first MAX_PROBLEMS problems, names clipped, and a last line that counts the rest. */
function bounded(problems: FieldProblem[]): FieldProblem[] {
  const shown = problems.slice(0, MAX_PROBLEMS).map((p) => ({
    field: clip(p.field),
    message: p.field.length > MAX_FIELD_NAME ? p.message.replace(p.field, clip(p.field)) : p.message,
  }));
  if (problems.length > MAX_PROBLEMS)
    shown.push({ field: 'body', message: `and ${problems.length - MAX_PROBLEMS} more problems` });
  return shown;
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
  private async explainInvalidBody(
    request: FastifyRequest,
    reply: FastifyReply,
    schemaErrors: SchemaError[],
    requestId: string,
  ) {
    const schema = request.routeOptions?.schema?.body as JsonSchema | undefined;
    const crowded = tooManyFields(request.body, schema);
    const dto = dtoOfSchema(schema);
    let problems: FieldProblem[] = crowded
      ? [crowded]
      : dto
        ? await validateAgainstDto(dto as new () => object, request.body).catch(() => [])
        : [];
    if (problems.length === 0) {
      problems = schemaErrors.map((e) => {
        const field = e.instancePath.replace(/^\//, '').replace(/\//g, '.') || 'body';
        return { field, message: `${field} ${e.message ?? 'is invalid'}` };
      });
    }
    problems = bounded(problems);
    void reply.status(400).send(
      errorBody(
        400,
        problems.map((p) => p.message),
        requestId,
        { errors: problems },
      ),
    );
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
    if (typeof status === 'number' && status >= 400 && (status < 500 || exception instanceof HttpException)) {
      void reply.status(status).send(knownError(exception, status, requestId));
      return;
    }
    this.logger.error({
      message: 'unhandled error',
      request_id: requestId,
      error: (exception as Error)?.message,
      stack: (exception as Error)?.stack,
    });
    void reply.status(500).send(errorBody(500, 'internal error', requestId));
  }
}
