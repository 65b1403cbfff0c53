import { Body, Controller, Get, Header, HttpCode, Ip, Post, Res, UnauthorizedException } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiOkResponse,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { Response } from 'express';
import { challenge } from './auth.guard';
import { AuthService } from './auth.service';
import { CurrentUser, Privilege, Public, RequirePrivilege } from './decorators';
import { LoginDto, TokenResponse } from './dto/login.dto';
import { UserResponse } from './users/dto/user.response';
import type { User } from './users/user.entity';

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Public()
  @Post('login')
  @HttpCode(200)
  // Also set for every /api/v1 answer (security-headers.ts); stated here as this answer carries the token.
  @Header('Cache-Control', 'no-store')
  @ApiOkResponse({ type: TokenResponse })
  @ApiBadRequestResponse({ description: 'Malformed body; the message names the field' })
  @ApiUnauthorizedResponse({
    description: 'Invalid username or password',
    headers: { 'WWW-Authenticate': { description: 'Bearer realm="nagare"', schema: { type: 'string' } } },
  })
  @ApiTooManyRequestsResponse({
    description:
      'Too many failed logins of this username from this client, or from this client today; retry_after (and the ' +
      'Retry-After header) says when to retry',
    headers: {
      'Retry-After': { description: 'Seconds until this login may be tried again', schema: { type: 'integer' } },
    },
  })
  async login(
    @Body() body: LoginDto,
    @Ip() client: string,
    @Res({ passthrough: true }) res: Response,
  ): Promise<TokenResponse> {
    try {
      const { token, expiresIn } = await this.auth.login(body.username, body.password, client);
      return { token, token_type: 'Bearer', expires_in: expiresIn };
    } catch (error) {
      // A failed login is a 401 like any other the API answers, and carries the same challenge.
      if (error instanceof UnauthorizedException) challenge(res);
      throw error;
    }
  }

  @Get('me')
  @RequirePrivilege(Privilege.Read)
  @ApiOkResponse({ type: UserResponse })
  me(@CurrentUser() user: User): UserResponse {
    return UserResponse.of(user);
  }
}
