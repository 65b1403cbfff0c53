import { STATUS_CODES } from 'node:http';
import request, { type Response } from 'supertest';
import { startTestApp, type TestApp } from './support/test-app';
import { messageOf } from './support/http';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** NestJS's error shape and nothing else: no stack, no cause, no extra fields. */
function expectNestError(res: Response, status: number): void {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  expect(Object.keys(res.body).sort()).toEqual(['error', 'message', 'statusCode']);
  expect(res.body.statusCode).toBe(status);
  expect(res.body.error).toBe(STATUS_CODES[status]);
  expect(res.body.message).toEqual(expect.anything());
}

describe('HTTP errors (e2e)', () => {
  let t: TestApp;
  let token: string;

  beforeAll(async () => {
    t = await startTestApp();
    token = await t.login();
  });
  afterAll(() => t.close());

  describe('unknown routes', () => {
    it.each(['/nope', '/api/v1/nope', '/api/v1/health/live'])('answers GET %s with a JSON 404', async (path) => {
      const res = await request(t.http).get(path);
      expectNestError(res, 404);
      expect(res.body.message).toBe(`Cannot GET ${path}`);
    });

    it.each([
      ['DELETE', '/api/v1/auth/login'],
      ['GET', '/api/v1/auth/login'],
      ['POST', '/health/live'],
      ['PUT', '/health/ready'],
    ] as const)('answers %s on the known path %s with a JSON 404', async (method, path) => {
      const res = await request(t.http)[method.toLowerCase() as 'get'](path);
      expectNestError(res, 404);
    });
  });

  describe('request bodies', () => {
    it('answers malformed JSON with a JSON 400', async () => {
      const res = await request(t.http)
        .post('/api/v1/auth/login')
        .set('Content-Type', 'application/json')
        .send('{"username": "admin", ');
      expectNestError(res, 400);
    });

    it.each([
      ['text/plain', 'username=admin&password=secret'],
      ['application/x-www-form-urlencoded', 'username=admin&password=secret'],
      ['application/xml', '<login><username>admin</username></login>'],
    ])('answers a login sent as %s with 400 naming username and password', async (type, body) => {
      const res = await request(t.http).post('/api/v1/auth/login').set('Content-Type', type).send(body);
      expectNestError(res, 400);
      expect(messageOf(res)).toContain('username');
      expect(messageOf(res)).toContain('password');
    });

    it('answers a login with no body at all with 400 naming username and password', async () => {
      const res = await request(t.http).post('/api/v1/auth/login');
      expectNestError(res, 400);
      expect(messageOf(res)).toContain('username');
      expect(messageOf(res)).toContain('password');
    });

    it('answers a property the DTO does not declare with 400 naming it', async () => {
      const res = await request(t.http)
        .post('/api/v1/auth/login')
        .send({ username: 'admin', password: 'secret', is_admin: true });
      expectNestError(res, 400);
      expect(messageOf(res)).toContain('is_admin');
    });

    it('parses a 2 kB body under the default limit (and validates it) rather than refusing it', async () => {
      const res = await request(t.http)
        .post('/api/v1/auth/login')
        .send({ username: 'admin', password: 'x'.repeat(2048) });
      expectNestError(res, 400);
      expect(messageOf(res)).toContain('password');
    });
  });

  describe('other errors keep the same shape', () => {
    it('answers a protected route without a token with a JSON 401', async () => {
      expectNestError(await request(t.http).get('/api/v1/auth/me'), 401);
    });

    it('answers a non-numeric path id with a JSON 400 naming the parameter', async () => {
      const res = await request(t.http).get('/api/v1/users/abc').set('Authorization', `Bearer ${token}`);
      expectNestError(res, 400);
      expect(res.body.message).toContain('id');
    });

    it('answers a missing resource with a JSON 404', async () => {
      const res = await request(t.http).get('/api/v1/users/999999').set('Authorization', `Bearer ${token}`);
      expectNestError(res, 404);
    });
  });

  describe('X-Request-ID', () => {
    it.each([
      ['a short token', 'abc-123'],
      ['dots, colons and underscores', 'trace.7f:00_ab'],
      ['128 characters', 'x'.repeat(128)],
    ])('echoes a sane id with %s', async (_what, id) => {
      const res = await request(t.http).get('/health/live').set('X-Request-ID', id);
      expect(res.status).toBe(200);
      expect(res.headers['x-request-id']).toBe(id);
    });

    it('echoes the id on an error response too', async () => {
      const res = await request(t.http).get('/api/v1/nope').set('X-Request-ID', 'err-42');
      expectNestError(res, 404);
      expect(res.headers['x-request-id']).toBe('err-42');
    });

    it.each([
      ['500 characters', 'a'.repeat(500)],
      ['129 characters', 'a'.repeat(129)],
      ['spaces', 'has some spaces'],
      ['markup', '<script>alert(1)</script>'],
      ['quotes and semicolons', 'a";b'],
    ])('replaces an id with %s by a generated UUID', async (_what, id) => {
      const res = await request(t.http).get('/health/live').set('X-Request-ID', id);
      expect(res.status).toBe(200);
      expect(res.headers['x-request-id']).toMatch(UUID);
    });

    it('generates a distinct UUID for each request that sends none', async () => {
      const first = await request(t.http).get('/health/live');
      const second = await request(t.http).get('/health/live');
      expect(first.headers['x-request-id']).toMatch(UUID);
      expect(second.headers['x-request-id']).toMatch(UUID);
      expect(first.headers['x-request-id']).not.toBe(second.headers['x-request-id']);
    });
  });

  describe('with server.body_limit at 1kb', () => {
    let small: TestApp;

    beforeAll(async () => {
      small = await startTestApp({ BODY_LIMIT: '1kb' });
    });
    afterAll(() => small.close());

    it('answers a body over the limit with a JSON 413', async () => {
      const res = await request(small.http)
        .post('/api/v1/auth/login')
        .send({ username: 'admin', password: 'x'.repeat(2048) });
      expectNestError(res, 413);
    });

    it('still serves a body under the limit', async () => {
      await expect(small.login()).resolves.toEqual(expect.any(String));
    });
  });
});
