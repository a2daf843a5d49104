import { CanActivate, ExecutionContext, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { FastifyRequest } from 'fastify';
import { secretsMatch } from '../admin/admin-token.guard.js';
import { appConfig } from '../config/app.config.js';

export const API_KEY_HEADER = 'x-api-key';

/** Scoring routes need a valid x-api-key when API_KEYS is set (401 otherwise); open when it is not. */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(@Inject(appConfig.KEY) private readonly config: ConfigType<typeof appConfig>) {}

  canActivate(context: ExecutionContext): boolean {
    const keys = this.config.apiKeys;
    if (keys.length === 0) return true;
    const given = context.switchToHttp().getRequest<FastifyRequest>().headers[API_KEY_HEADER];
    // Every key is compared, in constant time, so timing tells nothing about which keys exist.
    const valid = typeof given === 'string' && keys.reduce((found, key) => secretsMatch(given, key) || found, false);
    if (!valid) throw new UnauthorizedException(`a valid ${API_KEY_HEADER} header is required`);
    return true;
  }
}
