import { CanActivate, ExecutionContext, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { FastifyRequest } from 'fastify';
import { appConfig } from '../config/app.config.js';
import { SecretSet } from './secret-set.js';

export const API_KEY_HEADER = 'x-api-key';

/** The authenticated client of a request, set by ApiKeyGuard; rate limits are kept per client. */
export const CLIENT_ID = Symbol('client-id');
export type AuthenticatedRequest = FastifyRequest & { [CLIENT_ID]?: string };

/**
 * Scoring routes need a valid x-api-key when API_KEYS is set (401 otherwise); open when it is not. A valid
 * key marks the request with its client id, so the rate limit follows keys that were actually issued.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly keys: SecretSet;

  constructor(@Inject(appConfig.KEY) config: ConfigType<typeof appConfig>) {
    this.keys = new SecretSet(config.apiKeys);
  }

  canActivate(context: ExecutionContext): boolean {
    if (this.keys.size === 0) return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const given = request.headers[API_KEY_HEADER];
    const index = typeof given === 'string' ? this.keys.indexOf(given) : -1;
    if (index < 0) throw new UnauthorizedException(`a valid ${API_KEY_HEADER} header is required`);
    request[CLIENT_ID] = `key:${this.keys.ids[index]}`;
    return true;
  }
}
