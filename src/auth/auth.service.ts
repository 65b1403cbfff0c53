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
    const retryAfter = this.limiter.retryAfterSeconds(client);
    if (retryAfter > 0) {
      throw new HttpException(
        { statusCode: 429, message: `Too many failed logins; try again in ${retryAfter} s`, retry_after: retryAfter },
        HttpStatus.TOO_MANY_REQUESTS,
      );
    }
    // Counted as a failure before the first await and forgiven on success: checked and counted in one step,
    // so a burst of concurrent guesses cannot all pass the limit while their hashes are being verified.
    this.limiter.recordFailure(client);
    const user = await this.users.findByUsername(username);
    const valid = await this.hasher.verify(user?.passwordHash, password);
    if (!user || !valid || !user.enabled) {
      this.logger.warn({ msg: 'login failed', username, client });
      throw new UnauthorizedException(BAD_CREDENTIALS);
    }
    this.limiter.recordSuccess(client);
    this.logger.log({ msg: 'login succeeded', username, user_id: user.id });
    return this.tokens.issue(user);
  }
}
