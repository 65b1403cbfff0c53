import { Injectable, Logger } from '@nestjs/common';
import { createHmac, randomBytes } from 'node:crypto';
import { LoginLimiter } from '../auth/login-limiter';
import { PasswordHasher } from '../auth/password-hasher';
import { TokenService } from '../auth/token.service';
import { Privilege, type User } from '../auth/users/user.entity';
import { UsersService } from '../auth/users/users.service';

/** What the dashboard needs to be seen (read-only); its actions need Privilege.Write (src/admin/board-actions.ts). */
export const DASHBOARD_PRIVILEGE = Privilege.Read;

/** How long a verified username and password skip the argon2 check (the dashboard polls every few seconds). */
const VERIFIED_TTL_MS = 60_000;
const MAX_VERIFIED = 1000;
const MAX_PASSWORD_LENGTH = 1024;

const BASIC = /^Basic ([A-Za-z0-9+/]+={0,2})$/i;
const BEARER = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/;

export type DashboardAccess =
  | { outcome: 'allowed'; user: User }
  | { outcome: 'unauthenticated'; message: string }
  | { outcome: 'forbidden'; message: string }
  | { outcome: 'limited'; retryAfterSeconds: number };

interface Verified {
  userId: number;
  tokenVersion: number;
  expiresAt: number;
}

/**
 * Who may open the queue dashboard: a browser logs in with HTTP Basic as one of our users (its argon2 password,
 * counted by the same failed-login limiter as POST /auth/login), a script may send the API's bearer token. The
 * user must be enabled (privilege 1 sees the board read-only). The user is loaded on every request, so disabling them or
 * changing their password ends their dashboard access at once, as it ends their tokens.
 */
@Injectable()
export class DashboardAuth {
  private readonly logger = new Logger(DashboardAuth.name);
  /** Credentials verified lately, keyed by an HMAC under a key of this process only (never the password). */
  private readonly verified = new Map<string, Verified>();
  private readonly cacheKey = randomBytes(32);

  constructor(
    private readonly users: UsersService,
    private readonly hasher: PasswordHasher,
    private readonly tokens: TokenService,
    private readonly limiter: LoginLimiter,
  ) {}

  async check(authorization: string | undefined, client: string): Promise<DashboardAccess> {
    if (!authorization) return unauthenticated('Log in as a Nagare user');
    const bearer = BEARER.exec(authorization);
    if (bearer) return this.byToken(bearer[1]);
    const basic = BASIC.exec(authorization);
    if (!basic) return unauthenticated('Unsupported Authorization header: use Basic or Bearer');
    const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
    const separator = decoded.indexOf(':');
    if (separator < 0) return unauthenticated('Malformed Basic credentials');
    return this.byPassword(decoded.slice(0, separator), decoded.slice(separator + 1), client);
  }

  private async byToken(token: string): Promise<DashboardAccess> {
    const claims = await this.tokens.verify(token);
    const user = claims ? await this.users.findById(Number(claims.sub)) : null;
    if (!claims || !user || !user.enabled || user.tokenVersion !== claims.tv) {
      return unauthenticated('Invalid, expired or revoked token');
    }
    return this.authorize(user);
  }

  /**
   * As POST /auth/login: counted by the same limiter, one answer for every kind of bad credentials. A right
   * password of a user below the dashboard's privilege (403) is forgiven, not a success that clears failures.
   * Credentials this process verified lately are no guess, so they skip the limiter: a page's assets and polls
   * arrive at once, each with the credentials, and counting each before forgiving it pushed a burst past the
   * limit and locked the operator out.
   */
  private async byPassword(username: string, password: string, client: string): Promise<DashboardAccess> {
    const key = createHmac('sha256', this.cacheKey).update(username).update('\0').update(password).digest('base64');
    const cached = await this.cachedUser(key, username);
    if (cached) return this.authorize(cached);

    const retryAfterSeconds = await this.limiter.admit(username, client);
    if (retryAfterSeconds > 0) return { outcome: 'limited', retryAfterSeconds };
    const user = password.length <= MAX_PASSWORD_LENGTH ? await this.users.findByUsername(username) : null;
    const valid = await this.hasher.verify(user?.passwordHash, password.slice(0, MAX_PASSWORD_LENGTH));
    if (!user || !valid || !user.enabled) {
      this.logger.warn({ msg: 'dashboard login failed', username, client });
      return unauthenticated('Invalid username or password');
    }
    const access = this.authorize(user);
    if (access.outcome !== 'allowed') {
      await this.limiter.forgive(username, client);
      return access;
    }
    await this.limiter.succeeded(username, client);
    this.remember(key, user);
    this.logger.log({ msg: 'dashboard login succeeded', username, user_id: user.id });
    return access;
  }

  /** The user of credentials this process verified lately, while nothing about them changed; else null. */
  private async cachedUser(key: string, username: string): Promise<User | null> {
    const cached = this.verified.get(key);
    if (cached && cached.expiresAt > Date.now()) {
      const user = await this.users.findById(cached.userId);
      const sameName = user?.username.toLowerCase() === username.toLowerCase();
      if (user && user.enabled && sameName && user.tokenVersion === cached.tokenVersion) return user;
    }
    this.verified.delete(key);
    return null;
  }

  private authorize(user: User): DashboardAccess {
    if (user.privileges < DASHBOARD_PRIVILEGE) {
      return { outcome: 'forbidden', message: `The dashboard needs privilege ${DASHBOARD_PRIVILEGE} or more` };
    }
    return { outcome: 'allowed', user };
  }

  private remember(key: string, user: User): void {
    if (this.verified.size >= MAX_VERIFIED) {
      const now = Date.now();
      for (const [k, entry] of this.verified) if (entry.expiresAt <= now) this.verified.delete(k);
      if (this.verified.size >= MAX_VERIFIED) this.verified.delete(this.verified.keys().next().value!);
    }
    this.verified.set(key, {
      userId: user.id,
      tokenVersion: user.tokenVersion,
      expiresAt: Date.now() + VERIFIED_TTL_MS,
    });
  }
}

function unauthenticated(message: string): DashboardAccess {
  return { outcome: 'unauthenticated', message };
}
