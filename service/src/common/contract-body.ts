import { applyDecorators, createParamDecorator, ExecutionContext, InternalServerErrorException } from '@nestjs/common';
import { RouteSchema } from '@nestjs/platform-fastify';
import { ApiBody } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { schemaFor } from './contract-schema.js';
import { ApiErrors } from './error-response.dto.js';
import { responseSchemaFor } from './response-schema.js';

type Dto = new (...args: never[]) => object;

/**
 * The route's body is validated by Fastify against the JSON Schema derived from `dto`'s decorators (ajv,
 * compiled once); an invalid body never reaches the handler, and the error filter explains it with
 * class-validator's messages. With `response`, the 200 answer is serialised by the schema of that DTO's
 * @ApiProperty decorators (fast-json-stringify).
 */
export const ContractRoute = (dto: Dto, response?: Dto) =>
  applyDecorators(
    RouteSchema({ body: schemaFor(dto), ...(response ? { response: { 200: responseSchemaFor(response) } } : {}) }),
    ApiBody({ type: dto }),
    ApiErrors({
      400: 'The body breaks the contract: one message per offending field, naming it and the rule (items of a batch as applications.3.credit_score).',
      413: 'The body is larger than BODY_LIMIT_BYTES.',
      415: 'The body is not application/json.',
    }),
  );

/**
 * The body of a @ContractRoute, already validated. It refuses to hand over a body from a route without a
 * schema, so this decorator can never pass unvalidated input (it is not run through the global pipe).
 */
export const ContractBody = createParamDecorator((_: unknown, context: ExecutionContext) => {
  const request = context.switchToHttp().getRequest<FastifyRequest>();
  if (!request.routeOptions?.schema?.body)
    throw new InternalServerErrorException('ContractBody used on a route without @ContractRoute');
  return request.body;
});
