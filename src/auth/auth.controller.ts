import { Body, Controller, Get, Header, HttpCode, Ip, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiOkResponse,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
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
  @ApiUnauthorizedResponse({ description: 'Invalid username or password' })
  @ApiTooManyRequestsResponse({
    description:
      'Too many failed logins of this username from this client, or from this client today; retry_after (and the ' +
      'Retry-After header) says when to retry',
    headers: {
      'Retry-After': { description: 'Seconds until this login may be tried again', schema: { type: 'integer' } },
    },
  })
  async login(@Body() body: LoginDto, @Ip() client: string): Promise<TokenResponse> {
    const { token, expiresIn } = await this.auth.login(body.username, body.password, client);
    return { token, token_type: 'Bearer', expires_in: expiresIn };
  }

  @Get('me')
  @RequirePrivilege(Privilege.Read)
  @ApiOkResponse({ type: UserResponse })
  me(@CurrentUser() user: User): UserResponse {
    return UserResponse.of(user);
  }
}
