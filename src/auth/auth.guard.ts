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
import { type TokenClaims, TokenService } from './token.service';
import type { User } from './users/user.entity';
import { UsersService } from './users/users.service';

interface RouteAccess {
  isPublic: boolean;
  required: Privilege;
}

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

  /**
   * Each route's @Public and @RequirePrivilege, read once per handler and controller class (a handler inherited
   * by two controllers may differ by the class's decorators): decorators do not change after start-up.
   */
  private readonly routes = new WeakMap<object, WeakMap<object, RouteAccess>>();

  /**
   * Synchronous when the token was verified before and its user is cached (most requests): the same checks,
   * without the promises. Otherwise the token and the user are loaded first.
   */
  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const route = this.routeOf(context);
    if (route.isPublic) return true;

    const http = context.switchToHttp();
    const req = http.getRequest<Request & { user?: unknown }>();
    const match = BEARER.exec(req.headers.authorization ?? '');
    if (!match) {
      challenge(http.getResponse<Response>());
      throw new UnauthorizedException('Missing or malformed bearer token');
    }
    const claims = this.tokens.verifiedBefore(match[1]);
    const user = claims && this.users.cachedForAuth(Number(claims.sub));
    if (claims && user) return admit(req, http.getResponse<Response>(), route, claims, user);
    return this.activate(req, http.getResponse<Response>(), route, match[1]);
  }

  private async activate(
    req: Request & { user?: unknown },
    res: Response,
    route: RouteAccess,
    token: string,
  ): Promise<boolean> {
    const claims = await this.tokens.verify(token);
    if (!claims) {
      challenge(res);
      throw new UnauthorizedException('Invalid or expired token');
    }
    return admit(req, res, route, claims, await this.users.findForAuth(Number(claims.sub)));
  }

  private routeOf(context: ExecutionContext): RouteAccess {
    const handler = context.getHandler();
    const controller = context.getClass();
    let byClass = this.routes.get(handler);
    if (!byClass) this.routes.set(handler, (byClass = new WeakMap()));
    let route = byClass.get(controller);
    if (!route) {
      const targets = [handler, controller];
      route = {
        isPublic: this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets) === true,
        required: this.reflector.getAllAndOverride<Privilege>(REQUIRED_PRIVILEGE, targets) ?? Privilege.Read,
      };
      byClass.set(controller, route);
    }
    return route;
  }
}

/** The challenge of every 401 the API answers (RFC 9110 requires one): a bearer token, got from POST /auth/login. */
export function challenge(res: Response): void {
  res.setHeader('WWW-Authenticate', 'Bearer realm="nagare"');
}

/** The checks on the user a valid token names: enabled, the token still current, and privilege enough. */
function admit(
  req: Request & { user?: unknown },
  res: Response,
  route: RouteAccess,
  claims: TokenClaims,
  user: User | null,
): boolean {
  if (!user || !user.enabled || user.tokenVersion !== claims.tv) {
    challenge(res);
    throw new UnauthorizedException('Token is no longer valid');
  }
  if (user.privileges < route.required) {
    throw new ForbiddenException(`This action needs privilege ${route.required} or more`);
  }
  req.user = user;
  return true;
}
