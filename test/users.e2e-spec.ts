import request from 'supertest';
import { ADMIN_PASSWORD, ADMIN_USERNAME, startTestApp, type TestApp } from './support/test-app';
import { messageOf } from './support/http';
import { describeListEndpoint } from './support/list-endpoint-suite';

type Method = 'get' | 'post' | 'patch' | 'delete';

const USER_KEYS = ['created_at', 'enabled', 'id', 'privileges', 'updated_at', 'username'];

describe('users API (e2e)', () => {
  let t: TestApp;
  let adminToken: string;
  let adminId: number;
  /** The raw text of every response this suite received, and every password it used. */
  const responses: string[] = [];
  const passwords = new Set<string>([ADMIN_PASSWORD]);

  async function call(method: Method, path: string, options: { token?: string; body?: object } = {}) {
    const req = request(t.http)
      [method](`/api/v1/users${path}`)
      .set('Authorization', `Bearer ${options.token ?? adminToken}`);
    const res = options.body === undefined ? await req : await req.send(options.body);
    responses.push(res.text);
    return res;
  }

  async function createUser(username: string, password: string, privileges: number, enabled = true) {
    passwords.add(password);
    const res = await call('post', '', { body: { username, password, privileges, enabled } });
    expect(res.status).toBe(201);
    return res.body as { id: number; username: string; privileges: number; enabled: boolean };
  }

  async function login(username: string, password: string) {
    passwords.add(password);
    const res = await request(t.http).post('/api/v1/auth/login').send({ username, password });
    responses.push(res.text);
    return res;
  }

  async function tokenFor(username: string, password: string): Promise<string> {
    const res = await login(username, password);
    expect(res.status).toBe(200);
    return res.body.token;
  }

  beforeAll(async () => {
    t = await startTestApp({ LOGIN_MAX_FAILURES: '1000' });
    adminToken = await tokenFor(ADMIN_USERNAME, ADMIN_PASSWORD);
    adminId = (await request(t.http).get('/api/v1/auth/me').set('Authorization', `Bearer ${adminToken}`)).body.id;
  });
  afterAll(() => t.close());

  describe('the last enabled superadmin', () => {
    it.each([
      ['disabled', { enabled: false }],
      ['demoted to privilege 2', { privileges: 2 }],
      ['demoted to privilege 1', { privileges: 1 }],
    ])('cannot be %s: 409', async (_name, changes) => {
      const res = await call('patch', `/${adminId}`, { body: changes });
      expect(res.status).toBe(409);
      expect(res.body).toMatchObject({ statusCode: 409, error: 'Conflict', message: expect.stringMatching(/last/i) });
    });

    it('cannot be deleted: 409', async () => {
      expect((await call('delete', `/${adminId}`)).status).toBe(409);
    });

    it('stays unchanged after the refused attempts', async () => {
      const res = await call('get', `/${adminId}`);
      expect(res.body).toMatchObject({ id: adminId, privileges: 3, enabled: true });
    });

    it('is still the last one when the only other superadmin is disabled', async () => {
      await createUser('dormant-root', 'dormant-root-password', 3, false);
      expect((await call('patch', `/${adminId}`, { body: { privileges: 2 } })).status).toBe(409);
      expect((await call('delete', `/${adminId}`)).status).toBe(409);
    });

    it('can be demoted, disabled and deleted once another enabled superadmin exists', async () => {
      const deputy = await createUser('deputy-root', 'deputy-root-password', 3);
      const deputyToken = await tokenFor('deputy-root', 'deputy-root-password');

      const demoted = await call('patch', `/${adminId}`, { token: deputyToken, body: { privileges: 2 } });
      expect(demoted.status).toBe(200);
      expect(demoted.body.privileges).toBe(2);
      expect((await call('get', '', { token: adminToken })).status).toBe(403);
      expect((await call('patch', `/${adminId}`, { token: deputyToken, body: { privileges: 3 } })).status).toBe(200);

      const disabled = await call('patch', `/${deputy.id}`, { body: { enabled: false } });
      expect(disabled.status).toBe(200);
      expect(disabled.body.enabled).toBe(false);
      // With the deputy disabled, the admin is the last one again.
      expect((await call('patch', `/${adminId}`, { body: { enabled: false } })).status).toBe(409);

      await call('patch', `/${deputy.id}`, { body: { enabled: true } });
      expect((await call('delete', `/${deputy.id}`)).status).toBe(204);
      expect((await call('delete', `/${adminId}`)).status).toBe(409);
    });
  });

  describe('POST /users', () => {
    it('creates a user: 201 with the user and nothing else', async () => {
      passwords.add('operator-password');
      const res = await call('post', '', {
        body: { username: 'operator', password: 'operator-password', privileges: 2 },
      });
      expect(res.status).toBe(201);
      expect(Object.keys(res.body).sort()).toEqual(USER_KEYS);
      expect(res.body).toMatchObject({ id: expect.any(Number), username: 'operator', privileges: 2, enabled: true });
      expect(new Date(res.body.created_at).toISOString()).toBe(res.body.created_at);
      expect((await login('operator', 'operator-password')).status).toBe(200);
    });

    it('creates a disabled user who cannot log in', async () => {
      const user = await createUser('created-disabled', 'created-disabled-password', 1, false);
      expect(user.enabled).toBe(false);
      expect((await login('created-disabled', 'created-disabled-password')).status).toBe(401);
    });

    it('answers 409 to a username that is taken', async () => {
      await createUser('taken-name', 'taken-name-password', 1);
      passwords.add('another-password');
      const res = await call('post', '', {
        body: { username: 'taken-name', password: 'another-password', privileges: 1 },
      });
      expect(res.status).toBe(409);
      expect(res.body).toMatchObject({ statusCode: 409, error: 'Conflict', message: expect.stringContaining('taken') });
      expect((await login('taken-name', 'another-password')).status).toBe(401);
    });

    it('answers 409 to a username that differs from a taken one only by case (issue 15, item 9)', async () => {
      await createUser('Case-Name', 'case-name-password', 1);
      passwords.add('other-case-password');
      for (const username of ['case-name', 'CASE-NAME', ADMIN_USERNAME.toUpperCase()]) {
        const res = await call('post', '', { body: { username, password: 'other-case-password', privileges: 1 } });
        expect({ username, status: res.status }).toEqual({ username, status: 409 });
        expect(res.body).toMatchObject({
          statusCode: 409,
          error: 'Conflict',
          message: expect.stringContaining('taken'),
        });
      }
    });

    it('logs a user in whatever the case of the username, as the user it was created as', async () => {
      const created = await createUser('Mixed-Case', 'mixed-case-password', 1);
      for (const username of ['mixed-case', 'MIXED-CASE', 'Mixed-Case']) {
        const res = await login(username, 'mixed-case-password');
        expect({ username, status: res.status }).toEqual({ username, status: 200 });
        const me = await request(t.http).get('/api/v1/auth/me').set('Authorization', `Bearer ${res.body.token}`);
        expect(me.body).toMatchObject({ id: created.id, username: 'Mixed-Case' });
      }
      expect((await login(ADMIN_USERNAME.toUpperCase(), ADMIN_PASSWORD)).status).toBe(200);
    });

    const valid = { username: 'valid-name', password: 'valid-password', privileges: 1 };
    it.each([
      ['username', 'a username that is too short', { ...valid, username: 'ab' }],
      ['username', 'a username with a space', { ...valid, username: 'has space' }],
      ['username', 'a username of 65 characters', { ...valid, username: 'u'.repeat(65) }],
      ['username', 'a missing username', { password: valid.password, privileges: 1 }],
      ['password', 'a password of 7 characters', { ...valid, password: 'short-7' }],
      ['password', 'a password of 257 characters', { ...valid, password: 'p'.repeat(257) }],
      ['password', 'a missing password', { username: valid.username, privileges: 1 }],
      ['privileges', 'privileges 4', { ...valid, privileges: 4 }],
      ['privileges', 'privileges 0', { ...valid, privileges: 0 }],
      ['privileges', 'privileges as a string', { ...valid, privileges: '3' }],
      ['privileges', 'missing privileges', { username: valid.username, password: valid.password }],
      ['enabled', 'enabled as a string', { ...valid, enabled: 'yes' }],
      ['isAdmin', 'an unknown property', { ...valid, isAdmin: true }],
      ['password_hash', 'a password hash', { ...valid, password_hash: '$argon2id$v=19$m=19456,t=2,p=1$x$y' }],
    ])('answers 400 naming %s to %s, and creates nobody', async (field, _name, body) => {
      const res = await call('post', '', { body });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
      expect(messageOf(res)).toContain(field);
      expect((await login('valid-name', 'valid-password')).status).toBe(401);
    });
  });

  describe('GET /users', () => {
    let everyone: number;

    beforeAll(async () => {
      for (const name of ['page-a', 'page-b', 'page-c']) await createUser(name, `${name}-password`, 1);
      everyone = (await call('get', '?limit=500')).body.total;
    });

    it('lists users by id with 50 per page by default', async () => {
      const res = await call('get', '');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ items: expect.any(Array), total: everyone, limit: 50, offset: 0 });
      expect(res.body.items).toHaveLength(Math.min(everyone, 50));
      const ids = res.body.items.map((user: { id: number }) => user.id);
      expect(ids).toEqual([...ids].sort((a, b) => a - b));
      for (const user of res.body.items) expect(Object.keys(user).sort()).toEqual(USER_KEYS);
    });

    describeListEndpoint('GET /users', {
      list: (query) => call('get', `?${new URLSearchParams(query as Record<string, string>)}`),
      seed: async () => ({
        query: {},
        ids: (await call('get', '?limit=500')).body.items.map(({ id }: { id: number }) => id),
      }),
    });
  });

  describe('GET, PATCH and DELETE /users/:id', () => {
    it('answers one user', async () => {
      const created = await createUser('single', 'single-password', 2);
      const res = await call('get', `/${created.id}`);
      expect(res.status).toBe(200);
      expect(res.body).toEqual(created);
    });

    const byId: Array<[Method, object | undefined]> = [
      ['get', undefined],
      ['patch', { enabled: true }],
      ['delete', undefined],
    ];
    const badIdCases = (ids: string[]) =>
      byId.flatMap(([method, body]) => ids.map((id) => [method.toUpperCase(), id, method, body] as const));
    const expectBadId = async (id: string, method: Method, body: object | undefined) => {
      const res = await call(method, `/${id}`, { body });
      expect(res.status).toBe(400);
      expect(messageOf(res)).toContain('id');
    };

    it.each(badIdCases(['abc', '-1', '0', '1.5', '1a', '1234567890123456', '1e5', '0x186a0', '+987654']))(
      'answers 400 naming id to %s /users/%s',
      async (_label, id, method, body) => expectBadId(id, method, body),
    );

    it.each(byId.map(([method, body]) => [method.toUpperCase(), method, body] as const))(
      'answers 404 to %s of an unknown id',
      async (_label, method, body) => {
        const res = await call(method, '/987654', { body });
        expect(res.status).toBe(404);
        expect(res.body).toMatchObject({
          statusCode: 404,
          error: 'Not Found',
          message: expect.stringContaining('987654'),
        });
      },
    );

    it('changes the password: the new one logs in, the old one no longer does', async () => {
      const user = await createUser('changing', 'changing-old-password', 1);
      passwords.add('changing-new-password');
      const res = await call('patch', `/${user.id}`, { body: { password: 'changing-new-password' } });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id: user.id, username: 'changing', privileges: 1, enabled: true });
      expect((await login('changing', 'changing-old-password')).status).toBe(401);
      expect((await login('changing', 'changing-new-password')).status).toBe(200);
    });

    it('changes privileges, and the user’s existing token carries the new privileges at once', async () => {
      const user = await createUser('promoted', 'promoted-password', 1);
      const token = await tokenFor('promoted', 'promoted-password');
      expect((await call('get', '', { token })).status).toBe(403);

      const promoted = await call('patch', `/${user.id}`, { body: { privileges: 3 } });
      expect(promoted.body.privileges).toBe(3);
      expect((await call('get', '', { token })).status).toBe(200);

      const demoted = await call('patch', `/${user.id}`, { body: { privileges: 2 } });
      expect(demoted.body.privileges).toBe(2);
      expect((await call('get', '', { token })).status).toBe(403);
    });

    it('disables and enables a user', async () => {
      const user = await createUser('toggled', 'toggled-password', 1);
      const disabled = await call('patch', `/${user.id}`, { body: { enabled: false } });
      expect(disabled.status).toBe(200);
      expect(disabled.body.enabled).toBe(false);
      expect((await login('toggled', 'toggled-password')).status).toBe(401);

      const enabled = await call('patch', `/${user.id}`, { body: { enabled: true } });
      expect(enabled.body.enabled).toBe(true);
      expect((await login('toggled', 'toggled-password')).status).toBe(200);
    });

    it.each([
      ['password', { password: 'short' }],
      ['privileges', { privileges: 4 }],
      ['enabled', { enabled: 'no' }],
      ['username', { username: 'renamed' }],
    ])('answers 400 naming %s to a bad update, and changes nothing', async (field, body) => {
      const user = await createUser(`bad-update-${field}`, 'unchanged-secret', 1);
      const res = await call('patch', `/${user.id}`, { body });
      expect(res.status).toBe(400);
      expect(messageOf(res)).toContain(field);
      expect((await call('get', `/${user.id}`)).body).toEqual(user);
    });

    it('deletes a user: 204 with no body, then 404, and the user can no longer log in', async () => {
      const user = await createUser('removed', 'removed-password', 1);
      const res = await call('delete', `/${user.id}`);
      expect(res.status).toBe(204);
      expect(res.text).toBe('');
      expect((await call('get', `/${user.id}`)).status).toBe(404);
      expect((await call('delete', `/${user.id}`)).status).toBe(404);
      expect((await login('removed', 'removed-password')).status).toBe(401);
    });
  });

  describe('for users below privilege 3', () => {
    let target: { id: number };
    const routes: Array<[string, Method, (id: number) => string, object | undefined]> = [
      ['GET /users', 'get', () => '', undefined],
      ['GET /users/:id', 'get', (id) => `/${id}`, undefined],
      ['POST /users', 'post', () => '', { username: 'intruder', password: 'intruder-password', privileges: 3 }],
      ['PATCH /users/:id', 'patch', (id) => `/${id}`, { privileges: 3, password: 'hijacked-password' }],
      ['DELETE /users/:id', 'delete', (id) => `/${id}`, undefined],
    ];

    beforeAll(async () => {
      target = await createUser('target', 'target-password', 1);
      await createUser('level-1', 'level-1-password', 1);
      await createUser('level-2', 'level-2-password', 2);
      passwords.add('intruder-password').add('hijacked-password');
    });

    it.each([1, 2].flatMap((level) => routes.map(([label, ...route]) => [level, label, ...route] as const)))(
      'answers 403 to a privilege %s user on %s',
      async (level, _label, method, path, body) => {
        const token = await tokenFor(`level-${level}`, `level-${level}-password`);
        const res = await call(method, path(target.id), { token, body });
        expect(res.status).toBe(403);
        expect(res.body).toMatchObject({ statusCode: 403, error: 'Forbidden' });
      },
    );

    it('left everything as it was', async () => {
      expect((await call('get', `/${target.id}`)).body).toMatchObject({ privileges: 1, enabled: true });
      expect((await login('target', 'target-password')).status).toBe(200);
      expect((await login('intruder', 'intruder-password')).status).toBe(401);
    });
  });

  it('never returned a password or a password hash in any response', () => {
    expect(responses.length).toBeGreaterThan(100);
    expect(passwords.size).toBeGreaterThan(20);
    for (const text of responses) {
      expect(text).not.toContain('$argon2');
      expect(text).not.toMatch(/"password(_hash|Hash)?"\s*:/);
      for (const password of passwords) expect(text).not.toContain(password);
    }
  });
});
