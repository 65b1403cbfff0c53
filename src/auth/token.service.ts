import { createSecretKey, type KeyObject } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import type { User } from './users/user.entity';

export interface TokenClaims {
  sub: string;
  username: string;
  privileges: number;
  /** The user's token version when it was signed. */
  tv: number;
  iat: number;
  exp: number;
}

export interface IssuedToken {
  token: string;
  expiresIn: number;
}

const ALGORITHM = 'HS256';

/** Signs and checks bearer tokens: HS256 only, `exp` required, no other algorithm accepted. */
@Injectable()
export class TokenService {
  /**
   * The secret as a KeyObject, made once. Given a string, jsonwebtoken makes one on every call, first trying the
   * string as a PEM public key and catching the error: that alone took a quarter of the CPU of an API request.
   * (@nestjs/jwt types `secret` as string | Buffer but hands it to jsonwebtoken as it is.)
   */
  private readonly key: Buffer;

  constructor(
    private readonly jwt: JwtService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    const key: KeyObject = createSecretKey(Buffer.from(config.jwt.secret, 'utf8'));
    this.key = key as unknown as Buffer;
  }

  async issue(user: User): Promise<IssuedToken> {
    const expiresIn = this.config.jwt.ttlSeconds;
    const token = await this.jwt.signAsync(
      { username: user.username, privileges: user.privileges, tv: user.tokenVersion },
      { subject: String(user.id), expiresIn, algorithm: ALGORITHM, secret: this.key },
    );
    return { token, expiresIn };
  }

  /** The token's claims, or undefined when it is not one we signed, has expired or lacks what we require. */
  async verify(token: string): Promise<TokenClaims | undefined> {
    try {
      const claims = await this.jwt.verifyAsync<TokenClaims>(token, {
        algorithms: [ALGORITHM],
        secret: this.key,
      });
      const wellFormed =
        typeof claims.exp === 'number' && /^\d+$/.test(claims.sub ?? '') && Number.isInteger(claims.tv);
      return wellFormed ? claims : undefined;
    } catch {
      return undefined;
    }
  }
}
