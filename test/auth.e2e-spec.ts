import request from 'supertest';
import { ADMIN_PASSWORD, startTestApp, type TestApp } from './support/test-app';

describe('auth (e2e)', () => {
  let t: TestApp;
  let adminToken: string;

  beforeAll(async () => {
    t = await startTestApp();
    adminToken = await t.login();
  });
  afterAll(() => t.close());

  it('logs the initial superadmin in and answers /auth/me with the user', async () => {
    const login = await request(t.http)
      .post('/api/v1/auth/login')
      .send({ username: 'admin', password: ADMIN_PASSWORD });
    expect(login.status).toBe(200);
    expect(login.body).toEqual({ token: expect.any(String), token_type: 'Bearer', expires_in: 86_400 });

    const me = await request(t.http).get('/api/v1/auth/me').set('Authorization', `Bearer ${login.body.token}`);
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ username: 'admin', privileges: 3, enabled: true });
    expect(me.body).not.toHaveProperty('password');
    expect(me.body).not.toHaveProperty('passwordHash');
  });

  it('answers 401 to /auth/me without a token', async () => {
    const res = await request(t.http).get('/api/v1/auth/me');
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
  });

  it('answers an unknown user and a wrong password with the same 401', async () => {
    const unknown = await request(t.http)
      .post('/api/v1/auth/login')
      .send({ username: 'nobody', password: 'whatever1' });
    const wrong = await request(t.http)
      .post('/api/v1/auth/login')
      .send({ username: 'admin', password: 'wrong-password' });
    expect(unknown.status).toBe(401);
    expect(wrong.status).toBe(401);
    expect(unknown.body).toEqual(wrong.body);
  });

  it('answers a malformed login body with 400 naming the field', async () => {
    const res = await request(t.http).post('/api/v1/auth/login').send({ username: 'admin' });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body.message)).toContain('password');
  });

  it('lets a superadmin create a user who can read but not manage users', async () => {
    const created = await request(t.http)
      .post('/api/v1/users')
      .set('Authorization', `Bearer ${adminToken}`)
      .send({ username: 'reader', password: 'reader-password', privileges: 1 });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ username: 'reader', privileges: 1, enabled: true });

    const readerToken = await t.login('reader', 'reader-password');
    expect((await request(t.http).get('/api/v1/auth/me').set('Authorization', `Bearer ${readerToken}`)).status).toBe(
      200,
    );
    const forbidden = await request(t.http).get('/api/v1/users').set('Authorization', `Bearer ${readerToken}`);
    expect(forbidden.status).toBe(403);
  });
});
