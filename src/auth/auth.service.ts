import { HttpException, HttpStatus, Injectable, Logger, UnauthorizedException } from '@nestjs/common';
import { LoginLimiter } from './login-limiter';
import { PasswordHasher } from './password-hasher';
import { type IssuedToken, TokenService } from './token.service';
import { UsersService } from './users/users.service';

/** One message for an unknown user, a wrong password and a disabled account: nothing to enumerate. */
const BAD_CREDENTIALS = 'Invalid username or password';

@Injectable()
export class AuthService {
  private readonly logger = new Logger(AuthService.name);

  constructor(
    private readonly users: UsersService,
    private readonly hasher: PasswordHasher,
    private readonly tokens: TokenService,
    private readonly limiter: LoginLimiter,
  ) {}

  async login(username: string, password: string, client: string): Promise<IssuedToken> {
    const retryAfter = await this.limiter.admit(username, client);
    if (retryAfter > 0) {
      throw new HttpException(
        { statusCode: 429, message: `Too many failed logins; try again in ${retryAfter} s`, retry_after: retryAfter },
        HttpStatus.TOO_MANY_REQUESTS,
      );
    }
    const user = await this.users.findByUsername(username);
    const valid = await this.hasher.verify(user?.passwordHash, password);
    if (!user || !valid || !user.enabled) {
      this.logger.warn({ msg: 'login failed', username, client });
      throw new UnauthorizedException(BAD_CREDENTIALS);
    }
    await this.limiter.succeeded(username, client);
    this.logger.log({ msg: 'login succeeded', username, user_id: user.id });
    return this.tokens.issue(user);
  }
}
