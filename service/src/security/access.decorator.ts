import { applyDecorators } from '@nestjs/common';
import { RouteConfig } from '@nestjs/platform-fastify';
import { ApiBearerAuth, ApiSecurity } from '@nestjs/swagger';
import { ApiErrors } from '../common/error-response.dto.js';

/**
 * Who may call a route: `client` (x-api-key when API_KEYS is set, the per-client rate limit), `admin` (the
 * ADMIN_TOKEN bearer, rate limited), `monitoring` (the METRICS_TOKEN bearer when it is set), `reviewer` (one of the
 * REVIEWER_TOKENS bearers, rate limited; the reviewer's name rides on the request). Routes without it
 * are open (health, docs). The kind travels in the Fastify route config, where RequestGate reads it in an
 * onRequest hook, before the body is read or validated.
 */
export type AccessKind = 'client' | 'admin' | 'monitoring' | 'reviewer';
export interface AccessRouteConfig {
  access?: AccessKind;
}

const SWAGGER: Record<AccessKind, MethodDecorator & ClassDecorator> = {
  client: applyDecorators(
    ApiSecurity('api-key'),
    ApiErrors({
      401: 'API_KEYS is set and x-api-key is missing or wrong.',
      429: 'Rate limit exceeded, or too many wrong keys from this address; Retry-After says when to retry.',
    }),
  ),
  admin: applyDecorators(
    ApiBearerAuth('admin-token'),
    ApiErrors({
      401: 'No Authorization: Bearer <ADMIN_TOKEN>.',
      403: 'The admin token is wrong.',
      429: 'Rate limit exceeded, or too many wrong tokens from this address; Retry-After says when to retry.',
    }),
  ),
  reviewer: applyDecorators(
    ApiBearerAuth('reviewer-token'),
    ApiErrors({
      401: "No Authorization: Bearer <a reviewer's token from REVIEWER_TOKENS>.",
      403: 'The reviewer token is wrong.',
      429: 'Rate limit exceeded, or too many wrong tokens from this address; Retry-After says when to retry.',
    }),
  ),
  monitoring: applyDecorators(
    ApiBearerAuth('metrics-token'),
    ApiErrors({
      401: 'METRICS_TOKEN is set and Authorization: Bearer <METRICS_TOKEN> is missing or wrong.',
      429: 'Too many wrong tokens from this address; Retry-After says when to retry.',
    }),
  ),
};

/**
 * Marks a controller (every handler in it) or one handler with its kind of caller: auth, limits and Swagger together.
 */
export function Access(kind: AccessKind): ClassDecorator & MethodDecorator {
  const config = RouteConfig({ access: kind } satisfies AccessRouteConfig);
  return ((target: object, key?: string | symbol, descriptor?: PropertyDescriptor): void => {
    if (descriptor) {
      config(target, key!, descriptor);
      (SWAGGER[kind] as MethodDecorator)(target, key!, descriptor);
      return;
    }
    // On a class: Fastify route config is read per handler, so set it on each method.
    const prototype = (target as { prototype: object }).prototype;
    for (const name of Object.getOwnPropertyNames(prototype)) {
      const method = Object.getOwnPropertyDescriptor(prototype, name);
      if (name !== 'constructor' && typeof method?.value === 'function') config(prototype, name, method);
    }
    (SWAGGER[kind] as ClassDecorator)(target as never);
  }) as ClassDecorator & MethodDecorator;
}

/** The reviewer a `reviewer` route's credential named (set by RequestGate before the handler runs). */
export const REVIEWER = Symbol('reviewer');
export type ReviewedRequest = { [REVIEWER]?: string };
