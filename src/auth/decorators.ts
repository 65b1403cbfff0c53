import { applyDecorators, createParamDecorator, type ExecutionContext, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth, ApiForbiddenResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { User } from './users/user.entity';
import { Privilege } from './users/user.entity';

export const IS_PUBLIC = 'nagare:isPublic';
export const REQUIRED_PRIVILEGE = 'nagare:requiredPrivilege';

/** Opts a route out of the global bearer guard: login, health and the API docs only. */
export const Public = () => SetMetadata(IS_PUBLIC, true);

/**
 * The privilege a route needs (1 read, 2 write and run tasks, 3 manage users). Carries the Swagger lock
 * and the 401/403 answers, so the docs always say what the guard does.
 */
export const RequirePrivilege = (privilege: Privilege) =>
  applyDecorators(
    SetMetadata(REQUIRED_PRIVILEGE, privilege),
    ApiBearerAuth(),
    ApiUnauthorizedResponse({ description: 'Missing, malformed, expired or revoked bearer token' }),
    ApiForbiddenResponse({ description: `Needs privilege ${privilege} or more` }),
  );

export interface AuthenticatedRequest {
  user: User;
}

/** The user the guard authenticated for this request. */
export const CurrentUser = createParamDecorator(
  (_data: unknown, context: ExecutionContext): User => context.switchToHttp().getRequest<AuthenticatedRequest>().user,
);

export { Privilege };
