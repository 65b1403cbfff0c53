import { type CanActivate, type ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common';
import type { Request } from 'express';
import { InvalidInputError, NotFoundError } from '../../common/http/domain-error';
import { MAX_ID } from '../../common/http/id-param.pipe';
import { EventTokens } from '../../monitors/services/event-tokens';

/**
 * Authenticates POST /monitors/:id/events by the monitor's own event token (`Authorization: Bearer`), in place of the
 * JWT guard the route opts out of: 400 for an id that is not one, 404 for an unknown monitor, 401 for a missing or
 * wrong token (a user's JWT included). Runs before the body is validated, so nothing is read of an unauthenticated
 * request but its headers.
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
    const { exists, valid } = await this.tokens.check(monitorId, token);
    if (!exists) throw new NotFoundError(`Monitor ${monitorId} not found`);
    if (!valid) throw new UnauthorizedException('Missing or wrong event token for this monitor');
    return true;
  }
}
