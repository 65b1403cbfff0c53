import {
  type CanActivate,
  type ExecutionContext,
  ForbiddenException,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import { IS_PUBLIC, Privilege, REQUIRED_PRIVILEGE } from './decorators';
import { TokenService } from './token.service';
import { UsersService } from './users/users.service';

const BEARER = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/;

/**
 * The global guard: every route needs a valid bearer token unless marked @Public(). The user is checked on every
 * request, so disabling, deleting or changing the password of a user ends their tokens at once. The user comes from
 * UsersService.findForAuth, which keeps it 2 s and forgets it the moment this process changes it (another process's
 * change shows within those 2 s).
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: TokenService,
    private readonly users: UsersService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;

    const http = context.switchToHttp();
    const req = http.getRequest<Request & { user?: unknown }>();
    const challenge = () => {
      http.getResponse<Response>().setHeader('WWW-Authenticate', 'Bearer realm="nagare"');
    };

    const match = BEARER.exec(req.headers.authorization ?? '');
    if (!match) {
      challenge();
      throw new UnauthorizedException('Missing or malformed bearer token');
    }
    const claims = await this.tokens.verify(match[1]);
    if (!claims) {
      challenge();
      throw new UnauthorizedException('Invalid or expired token');
    }
    const user = await this.users.findForAuth(Number(claims.sub));
    if (!user || !user.enabled || user.tokenVersion !== claims.tv) {
      challenge();
      throw new UnauthorizedException('Token is no longer valid');
    }

    const required = this.reflector.getAllAndOverride<Privilege>(REQUIRED_PRIVILEGE, targets) ?? Privilege.Read;
    if (user.privileges < required) {
      throw new ForbiddenException(`This action needs privilege ${required} or more`);
    }
    req.user = user;
    return true;
  }
}
