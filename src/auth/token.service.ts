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

/** How many verified tokens `verify` remembers (a token enters only once its signature checked out). */
const VERIFIED_CACHE_SIZE = 1000;

/** Signs and checks bearer tokens: HS256 only, `exp` required, no other algorithm accepted. */
@Injectable()
export class TokenService {
  /**
   * The secret as a KeyObject, made once. Given a string, jsonwebtoken makes one on every call, first trying the
   * string as a PEM public key and catching the error: that alone took a quarter of the CPU of an API request.
   * (@nestjs/jwt types `secret` as string | Buffer but hands it to jsonwebtoken as it is.)
   */
  private readonly key: Buffer;

  /**
   * Tokens whose signature, algorithm and claims checked out, with their claims. A token is the same string
   * signed with the same key every time, so its check gives the same answer until `exp` (checked again on every
   * hit, as jsonwebtoken does): the HMAC and the decoding are done once per token, not once per request. Only
   * the exact string is looked up, so any other string (another signature, a changed claim) is checked in full.
   * Tokens with `nbf` are not kept (their answer changes with time the other way). The user behind a token is
   * still checked on every request by the guard.
   */
  private readonly verified = new Map<string, Readonly<TokenClaims>>();

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

  /**
   * `verify`'s answer when it comes from the tokens already verified, without waiting: the claims of a known token
   * that has not expired, otherwise undefined (then `verify` must be asked).
   */
  verifiedBefore(token: string): TokenClaims | undefined {
    const known = this.verified.get(token);
    if (!known) return undefined;
    // jsonwebtoken's own test: expired from the second `exp` names.
    if (Math.floor(Date.now() / 1000) < known.exp) return known;
    this.verified.delete(token);
    return undefined;
  }

  /** The token's claims, or undefined when it is not one we signed, has expired or lacks what we require. */
  async verify(token: string): Promise<TokenClaims | undefined> {
    if (this.verified.has(token)) return this.verifiedBefore(token);
    let claims: TokenClaims;
    try {
      claims = await this.jwt.verifyAsync<TokenClaims>(token, {
        algorithms: [ALGORITHM],
        secret: this.key,
      });
    } catch {
      return undefined;
    }
    const wellFormed = typeof claims.exp === 'number' && /^\d+$/.test(claims.sub ?? '') && Number.isInteger(claims.tv);
    if (!wellFormed) return undefined;
    if ((claims as { nbf?: unknown }).nbf === undefined) {
      if (this.verified.size >= VERIFIED_CACHE_SIZE) this.verified.delete(this.verified.keys().next().value!);
      this.verified.set(token, Object.freeze(claims));
    }
    return claims;
  }
}
