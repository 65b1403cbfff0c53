import { jest } from '@jest/globals';
import { JwtService } from '@nestjs/jwt';
import jwt from 'jsonwebtoken';
import type { AppConfig } from '../config/app-config';
import { TokenService } from './token.service';
import type { User } from './users/user.entity';

const SECRET = 'a test secret that is at least thirty-two characters long';
const TTL_SECONDS = 3600;

const service = () =>
  new TokenService(new JwtService({}), { jwt: { secret: SECRET, ttlSeconds: TTL_SECONDS } } as AppConfig);
const user = { id: 7, username: 'operator', privileges: 2, tokenVersion: 4 } as User;
const nowSeconds = () => Math.floor(Date.now() / 1000);
const validClaims = () => ({ sub: '7', username: 'operator', privileges: 2, tv: 4, exp: nowSeconds() + 60 });

describe(TokenService.name, () => {
  it('issues an HS256 token carrying the user id, token version and an exp one ttl after iat', async () => {
    const { token, expiresIn } = await service().issue(user);

    expect(expiresIn).toBe(TTL_SECONDS);
    expect(jwt.decode(token, { complete: true })?.header.alg).toBe('HS256');
    const claims = await service().verify(token);
    expect(claims).toMatchObject({ sub: '7', username: 'operator', privileges: 2, tv: 4 });
    expect(claims!.exp - claims!.iat).toBe(TTL_SECONDS);
  });

  it('accepts an HS256 token with the required claims signed with its secret', async () => {
    expect(await service().verify(jwt.sign(validClaims(), SECRET))).toMatchObject({ sub: '7', tv: 4 });
  });

  it.each([
    ['signed with HS384', () => jwt.sign(validClaims(), SECRET, { algorithm: 'HS384' })],
    ['signed with another secret', () => jwt.sign(validClaims(), `${SECRET}!`)],
    ['that has expired', () => jwt.sign({ ...validClaims(), exp: nowSeconds() - 1 }, SECRET)],
    ['without exp', () => jwt.sign({ sub: '7', tv: 4 }, SECRET)],
    ['without tv', () => jwt.sign({ sub: '7', exp: nowSeconds() + 60 }, SECRET)],
    ['with a fractional tv', () => jwt.sign({ ...validClaims(), tv: 1.5 }, SECRET)],
    ['without sub', () => jwt.sign({ tv: 4, exp: nowSeconds() + 60 }, SECRET)],
    ['with a sub that is not an id', () => jwt.sign({ ...validClaims(), sub: '7 OR 1=1' }, SECRET)],
    ['that is not valid yet (nbf)', () => jwt.sign({ ...validClaims(), nbf: nowSeconds() + 60 }, SECRET)],
    [
      'with alg none and no signature',
      () =>
        `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.` +
        `${Buffer.from(JSON.stringify(validClaims())).toString('base64url')}.`,
    ],
    ['that is not a JWT', () => 'not.a.jwt'],
  ])('rejects a token %s', async (_name, token) => {
    expect(await service().verify(token())).toBeUndefined();
  });

  describe('with a token it verified before', () => {
    afterEach(() => jest.restoreAllMocks());

    it('answers from memory, with the same claims, without waiting (verifiedBefore)', async () => {
      const tokens = service();
      const token = jwt.sign(validClaims(), SECRET);
      expect(tokens.verifiedBefore(token)).toBeUndefined();
      const first = await tokens.verify(token);
      expect(tokens.verifiedBefore(token)).toEqual(first);
      expect(await tokens.verify(token)).toEqual(first);
    });

    it('refuses it from the second its exp names, as jsonwebtoken does', async () => {
      const tokens = service();
      const exp = nowSeconds() + 60;
      const token = jwt.sign({ ...validClaims(), exp }, SECRET);
      expect(await tokens.verify(token)).toMatchObject({ exp });
      jest.spyOn(Date, 'now').mockReturnValue(exp * 1000 - 1);
      expect(await tokens.verify(token)).toMatchObject({ exp });
      jest.spyOn(Date, 'now').mockReturnValue(exp * 1000);
      expect(tokens.verifiedBefore(token)).toBeUndefined();
      expect(await tokens.verify(token)).toBeUndefined();
    });

    it('still refuses any other string: another signature on the same claims', async () => {
      const tokens = service();
      const token = jwt.sign(validClaims(), SECRET);
      await tokens.verify(token);
      const [header, payload] = token.split('.');
      const forged = `${header}.${payload}.${jwt.sign(validClaims(), `${SECRET}!`).split('.')[2]}`;
      expect(tokens.verifiedBefore(forged)).toBeUndefined();
      expect(await tokens.verify(forged)).toBeUndefined();
    });
  });
});
