import { type CanActivate, type ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common';
import type { Request, Response } from 'express';
import { InvalidInputError } from '../../common/http/domain-error';
import { MAX_ID } from '../../common/http/id-param.pipe';
import { EventTokens } from '../../monitors/services/event-tokens';

/** The challenge of a 401 here: the bearer the route takes is the monitor's event token, not a user's. */
export const EVENT_TOKEN_CHALLENGE = 'Bearer realm="nagare-monitor-events"';

/**
 * Authenticates POST /monitors/:id/events by the monitor's own event token (`Authorization: Bearer`), in place of the
 * JWT guard the route opts out of: 400 for an id that is not one, 401 for a missing or wrong token (a user's JWT
 * included) and for an unknown monitor alike, so an unauthenticated caller learns nothing of which monitors exist.
 * Runs before the body is validated, so nothing is read of an unauthenticated request but its headers.
 */
@Injectable()
export class EventTokenGuard implements CanActivate {
  constructor(private readonly tokens: EventTokens) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<Request>();
    const id = String(request.params.id);
    if (!/^\d{1,16}$/.test(id) || Number(id) < 1 || Number(id) > MAX_ID) {
      throw new InvalidInputError('id must be a positive integer');
    }
    const monitorId = Number(id);
    const header = request.headers.authorization ?? '';
    const token = /^Bearer (\S+)$/i.exec(header)?.[1];
    if (!(await this.tokens.check(monitorId, token))) {
      context.switchToHttp().getResponse<Response>().setHeader('WWW-Authenticate', EVENT_TOKEN_CHALLENGE);
      throw new UnauthorizedException('Missing or wrong event token for this monitor');
    }
    return true;
  }
}
