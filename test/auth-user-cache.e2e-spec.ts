import request from 'supertest';
import { DataSource } from 'typeorm';
import { AUTH_USER_CACHE_MS } from '../src/auth/users/users.service';
import { apiAs, unique, type Api } from './support/inventory-factory';
import { startTestApp, type TestApp } from './support/test-app';

/**
 * The bearer guard keeps the user it loaded for AUTH_USER_CACHE_MS. A change made through this process must still
 * end the user's tokens (or privileges) on the very next request; a change made elsewhere (another process, here a
 * direct UPDATE) shows once the cached user expires.
 */
describe('the guard’s user cache (e2e)', () => {
  let t: TestApp;
  let admin: Api;

  beforeAll(async () => {
    t = await startTestApp({ LOGIN_MAX_FAILURES: '1000' });
    admin = apiAs(t, await t.login());
  });
  afterAll(() => t.close());

  /** A new user, logged in, whose token has just passed the guard (so the guard holds the user in its cache). */
  async function cachedUser(privileges: 1 | 2 | 3) {
    const username = `cache-${unique()}`;
    const password = `password-${unique()}`;
    const created = await admin.post('/users', { username, password, privileges });
    expect(created.status).toBe(201);
    const token = await t.login(username, password);
    expect((await me(token)).status).toBe(200);
    expect((await me(token)).status).toBe(200);
    return { id: created.body.id as number, token, password };
  }

  const me = (token: string) => request(t.http).get('/api/v1/auth/me').set('Authorization', `Bearer ${token}`);
  const users = (token: string) => request(t.http).get('/api/v1/users').set('Authorization', `Bearer ${token}`);

  it('refuses a disabled user’s token on the next request', async () => {
    const user = await cachedUser(1);
    expect((await admin.patch(`/users/${user.id}`, { enabled: false })).status).toBe(200);
    expect((await me(user.token)).status).toBe(401);
  });

  it('refuses the old token after a password change, and takes the new one', async () => {
    const user = await cachedUser(1);
    const newPassword = `password-${unique()}`;
    expect((await admin.patch(`/users/${user.id}`, { password: newPassword })).status).toBe(200);
    expect((await me(user.token)).status).toBe(401);
    const fresh = await t.login((await admin.get(`/users/${user.id}`)).body.username, newPassword);
    expect((await me(fresh)).status).toBe(200);
  });

  it('refuses a deleted user’s token on the next request', async () => {
    const user = await cachedUser(1);
    expect((await admin.delete(`/users/${user.id}`)).status).toBe(204);
    expect((await me(user.token)).status).toBe(401);
  });

  it('applies a privilege change on the next request, both ways', async () => {
    const user = await cachedUser(3);
    expect((await users(user.token)).status).toBe(200);
    expect((await admin.patch(`/users/${user.id}`, { privileges: 1 })).status).toBe(200);
    expect((await users(user.token)).status).toBe(403);
    expect((await admin.patch(`/users/${user.id}`, { privileges: 3 })).status).toBe(200);
    expect((await users(user.token)).status).toBe(200);
  });

  it('sees a change made by another process within the cache time', async () => {
    const user = await cachedUser(1);
    const dataSource = t.app.get(DataSource);
    const table = dataSource.getMetadata('User').tableName;
    // Another process disables the user: this one has no way to know but the cache expiring.
    await dataSource.query(
      `UPDATE ${table} SET enabled = ${dataSource.options.type === 'postgres' ? 'false' : '0'}, token_version = token_version + 1 WHERE id = ${Number(user.id)}`,
    );
    // Generous: the bound is AUTH_USER_CACHE_MS, plus the time a busy machine takes to answer.
    const deadline = Date.now() + AUTH_USER_CACHE_MS + 15_000;
    let status = (await me(user.token)).status;
    while (status === 200 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      status = (await me(user.token)).status;
    }
    expect(status).toBe(401);
  }, 60_000);
});
