import { CanActivate, ExecutionContext, ForbiddenException, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { appConfig } from '../config/app.config.js';

const digest = (value: string) => createHash('sha256').update(value).digest();

/** Compares secrets in constant time (hashing first makes the lengths equal too). */
export function secretsMatch(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

/** Admin routes: 401 without a bearer token, 403 with a wrong one. */
@Injectable()
export class AdminTokenGuard implements CanActivate {
  constructor(@Inject(appConfig.KEY) private readonly config: ConfigType<typeof appConfig>) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    if (!match) {
      void context.switchToHttp().getResponse<FastifyReply>().header('www-authenticate', 'Bearer');
      throw new UnauthorizedException('admin routes need Authorization: Bearer <ADMIN_TOKEN>');
    }
    if (!this.config.adminToken || !secretsMatch(match[1], this.config.adminToken)) {
      throw new ForbiddenException('the admin token is not valid');
    }
    return true;
  }
}
