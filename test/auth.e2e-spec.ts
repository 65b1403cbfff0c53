import { generateKeyPairSync } from 'node:crypto';
import jwt from 'jsonwebtoken';
import request from 'supertest';
import { DocumentedResponses } from './support/documented-responses';
import { ADMIN_PASSWORD, ADMIN_USERNAME, startTestApp, type TestApp } from './support/test-app';

const LOGIN = '/api/v1/auth/login';
const ME = '/api/v1/auth/me';
const USERS = '/api/v1/users';

/** Every password and bearer token this file uses; none of them may reach the log file. */
const secrets = new Set<string>([ADMIN_PASSWORD]);
function remember<T extends string>(secret: T): T {
  secrets.add(secret);
  return secret;
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

function base64url(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function expectBearerChallenge(res: request.Response): void {
  expect(res.status).toBe(401);
  expect(res.headers['www-authenticate']).toMatch(/^Bearer\b/);
  expect(res.body).toMatchObject({ statusCode: 401, error: 'Unauthorized', message: expect.any(String) });
}

describe('auth (e2e)', () => {
  let t: TestApp;
  let documented: DocumentedResponses;
  let adminToken: string;
  let adminId: number;

  const login = async (username = ADMIN_USERNAME, password = ADMIN_PASSWORD) =>
    remember(await t.login(username, remember(password)));
  const tryLogin = (username: string, password: string) =>
    request(t.http)
      .post(LOGIN)
      .send({ username, password: remember(password) });
  const me = (token: string) => request(t.http).get(ME).set('Authorization', `Bearer ${token}`);
  const asAdmin = {
    create: async (username: string, password: string, privileges = 1): Promise<number> => {
      const res = await request(t.http)
        .post(USERS)
        .set('Authorization', `Bearer ${adminToken}`)
        .send({ username, password: remember(password), privileges });
      expect(res.status).toBe(201);
      return res.body.id;
    },
    update: async (id: number, changes: object) => {
      const res = await request(t.http)
        .patch(`${USERS}/${id}`)
        .set('Authorization', `Bearer ${adminToken}`)
        .send(changes);
      expect(res.status).toBe(200);
    },
    remove: async (id: number) => {
      const res = await request(t.http).delete(`${USERS}/${id}`).set('Authorization', `Bearer ${adminToken}`);
      expect(res.status).toBe(204);
    },
  };

  /** Claims exactly like the ones the service signs for the admin; each forgery below changes one thing. */
  const adminClaims = (): Record<string, unknown> => ({
    sub: String(adminId),
    username: ADMIN_USERNAME,
    privileges: 3,
    tv: 0,
    iat: nowSeconds(),
    exp: nowSeconds() + 3600,
  });
  const without = (claims: Record<string, unknown>, name: string) => {
    const copy = { ...claims };
    delete copy[name];
    return copy;
  };
  const sign = (claims: object, key: string | Buffer = t.config.jwt.secret, algorithm: jwt.Algorithm = 'HS256') =>
    remember(jwt.sign(claims, key, { algorithm }));

  beforeAll(async () => {
    // High enough that this suite's deliberate failures never trip the limiter; it has its own suites below.
    t = await startTestApp({ LOGIN_MAX_FAILURES: '1000' });
    documented = await DocumentedResponses.watch(t.http);
    adminToken = await login();
    adminId = (await me(adminToken)).body.id;
  });
  afterAll(() => t.close());

  it('logs the initial superadmin in and answers /auth/me with the user', async () => {
    const res = await tryLogin(ADMIN_USERNAME, ADMIN_PASSWORD);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ token: expect.any(String), token_type: 'Bearer', expires_in: 86_400 });

    const current = await me(remember(res.body.token));
    expect(current.status).toBe(200);
    expect(current.body).toEqual({
      id: adminId,
      username: ADMIN_USERNAME,
      privileges: 3,
      enabled: true,
      created_at: expect.any(String),
      updated_at: expect.any(String),
    });
  });

  it('answers an unknown user and a wrong password with the same 401', async () => {
    const unknown = await tryLogin('nobody', 'whatever1');
    const wrong = await tryLogin(ADMIN_USERNAME, 'wrong-password');
    expectBearerChallenge(unknown);
    expectBearerChallenge(wrong);
    expect(unknown.headers['www-authenticate']).toBe('Bearer realm="nagare"');
    expect(unknown.body).toEqual(wrong.body);
  });

  it('answers a malformed login body with 400 naming the field', async () => {
    const res = await request(t.http).post(LOGIN).send({ username: ADMIN_USERNAME });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body.message)).toContain('password');
  });

  it('lets a superadmin create a user who can read but not manage users', async () => {
    await asAdmin.create('reader', 'reader-password', 1);
    const readerToken = await login('reader', 'reader-password');
    expect((await me(readerToken)).status).toBe(200);
    const forbidden = await request(t.http).get(USERS).set('Authorization', `Bearer ${readerToken}`);
    expect(forbidden.status).toBe(403);
  });

  describe('Authorization header', () => {
    it('answers 401 with a Bearer challenge when the header is missing', async () => {
      expectBearerChallenge(await request(t.http).get(ME));
    });

    it.each([
      ['the bare word Bearer', 'Bearer'],
      ['Bearer and a space', 'Bearer '],
      ['Basic credentials', 'Basic x'],
      ['Basic credentials that hold the admin password', `Basic ${Buffer.from('admin:x').toString('base64')}`],
      ['garbage', 'garbage'],
      ['a bearer value that is not a JWT', 'Bearer not-a-jwt'],
      ['two bearer tokens', 'Bearer a.b.c Bearer a.b.c'],
    ])('answers 401 with a Bearer challenge to %s', async (_name, header) => {
      expectBearerChallenge(await request(t.http).get(ME).set('Authorization', header));
    });

    it('answers 401 to a valid token sent without the Bearer scheme', async () => {
      expectBearerChallenge(await request(t.http).get(ME).set('Authorization', adminToken));
    });
  });

  describe('forged and foreign tokens', () => {
    it('accepts a token signed exactly as the service signs (the control for every forgery below)', async () => {
      const res = await me(sign(adminClaims()));
      expect(res.status).toBe(200);
      expect(res.body.id).toBe(adminId);
    });

    const forgeries: Array<[string, () => string]> = [
      ['an expired token', () => sign({ ...adminClaims(), iat: nowSeconds() - 7200, exp: nowSeconds() - 60 })],
      ['a token signed with another secret', () => sign(adminClaims(), 'another secret of at least thirty-two chars')],
      [
        'a token whose payload was changed after signing',
        () => {
          const [header, , signature] = adminToken.split('.');
          return remember(
            `${header}.${base64url({ ...adminClaims(), exp: nowSeconds() + 86_400 * 365 })}.${signature}`,
          );
        },
      ],
      [
        'an unsigned token (alg none, empty signature)',
        () => remember(`${base64url({ alg: 'none', typ: 'JWT' })}.${base64url(adminClaims())}.`),
      ],
      [
        'an alg none token that carries a signature segment',
        () =>
          remember(`${base64url({ alg: 'none', typ: 'JWT' })}.${base64url(adminClaims())}.${adminToken.split('.')[2]}`),
      ],
      ['an HS512 token signed with the same secret', () => sign(adminClaims(), t.config.jwt.secret, 'HS512')],
      [
        'an RS256 token',
        () => {
          const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
          return sign(adminClaims(), privateKey.export({ format: 'pem', type: 'pkcs8' }), 'RS256');
        },
      ],
      ['a token without exp', () => sign(without(adminClaims(), 'exp'))],
      ['a token without the token version claim', () => sign(without(adminClaims(), 'tv'))],
      ['a token from an older token version', () => sign({ ...adminClaims(), tv: 1 })],
      ['a token whose subject is a username, not an id', () => sign({ ...adminClaims(), sub: ADMIN_USERNAME })],
      ['a token for a user id that does not exist', () => sign({ ...adminClaims(), sub: '987654' })],
    ];

    it.each(forgeries)('answers 401 with a Bearer challenge to %s', async (_name, forge) => {
      expectBearerChallenge(await me(forge()));
    });
  });

  describe('revoked tokens', () => {
    it('stops accepting the token of a deleted user', async () => {
      const id = await asAdmin.create('deleted-soon', 'deleted-soon-password');
      const token = await login('deleted-soon', 'deleted-soon-password');
      expect((await me(token)).status).toBe(200);

      await asAdmin.remove(id);

      expectBearerChallenge(await me(token));
    });

    it('stops accepting the token of a disabled user, even after the user is enabled again', async () => {
      const id = await asAdmin.create('disabled-soon', 'disabled-soon-password');
      const token = await login('disabled-soon', 'disabled-soon-password');
      expect((await me(token)).status).toBe(200);

      await asAdmin.update(id, { enabled: false });
      expectBearerChallenge(await me(token));

      await asAdmin.update(id, { enabled: true });
      expectBearerChallenge(await me(token));
      expect((await me(await login('disabled-soon', 'disabled-soon-password'))).status).toBe(200);
    });

    it('refuses the login of a disabled user with the same 401 as a wrong password', async () => {
      const id = await asAdmin.create('dormant', 'dormant-password');
      await asAdmin.update(id, { enabled: false });

      const disabled = await tryLogin('dormant', 'dormant-password');
      const wrong = await tryLogin('dormant', 'not-the-password');

      expect(disabled.status).toBe(401);
      expect(disabled.body).toEqual(wrong.body);
      expect(disabled.headers['www-authenticate']).toBe(wrong.headers['www-authenticate']);
    });

    it('stops accepting tokens issued before the password changed, and only the new password logs in', async () => {
      const id = await asAdmin.create('rotating', 'first-password');
      const oldToken = await login('rotating', 'first-password');
      expect((await me(oldToken)).status).toBe(200);

      await asAdmin.update(id, { password: remember('second-password') });

      expectBearerChallenge(await me(oldToken));
      expect((await tryLogin('rotating', 'first-password')).status).toBe(401);
      expect((await me(await login('rotating', 'second-password'))).status).toBe(200);
    });
  });

  it('writes the login lines to system.log but no password or bearer token used in this suite', () => {
    const log = t.systemLog();
    const entries = log
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(entries).toContainEqual(expect.objectContaining({ msg: 'login succeeded', username: ADMIN_USERNAME }));
    expect(entries).toContainEqual(expect.objectContaining({ msg: 'login failed', username: 'dormant' }));
    expect(secrets.size).toBeGreaterThan(20);

    const signatures = [...secrets].filter((secret) => secret.split('.').length === 3).map((t) => t.split('.')[2]);
    const leaked = [...secrets, ...signatures].filter((secret) => secret.length > 0 && log.includes(secret));
    expect(leaked).toEqual([]);
  });

  it('answered every request of this suite with a status and a body its OpenAPI document gives', () => {
    expect(documented.checked).toBeGreaterThan(10);
    expect(documented.problems()).toEqual([]);
  });
});
