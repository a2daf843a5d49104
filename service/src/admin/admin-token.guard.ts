import { CanActivate, ExecutionContext, ForbiddenException, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { appConfig } from '../config/app.config.js';
import { SecretSet } from '../security/secret-set.js';

/** Admin routes: 401 without a bearer token, 403 with a wrong one. */
@Injectable()
export class AdminTokenGuard implements CanActivate {
  private readonly token: SecretSet;

  constructor(@Inject(appConfig.KEY) config: ConfigType<typeof appConfig>) {
    this.token = new SecretSet(config.adminToken ? [config.adminToken] : []);
  }

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    if (!match) {
      void context.switchToHttp().getResponse<FastifyReply>().header('www-authenticate', 'Bearer');
      throw new UnauthorizedException('admin routes need Authorization: Bearer <ADMIN_TOKEN>');
    }
    if (this.token.indexOf(match[1]) < 0) {
      throw new ForbiddenException('the admin token is not valid');
    }
    return true;
  }
}
