import request from 'supertest';
import { type Api, apiAs, unique } from './support/inventory-factory';
import { ADMIN_PASSWORD, ADMIN_USERNAME, startTestApp, type TestApp } from './support/test-app';

/** Issue 15, item 8: the headers an outside attack test found missing, on every kind of answer the service gives. */
describe('security headers (e2e)', () => {
  let t: TestApp;
  let admin: Api;
  let token: string;
  let operatorAuth: string;

  beforeAll(async () => {
    t = await startTestApp();
    token = await t.login();
    admin = apiAs(t, token);
    const operator = { username: `sec-${unique()}`, password: `sec-password-${unique()}` };
    expect((await admin.post('/users', { ...operator, privileges: 2 })).status).toBe(201);
    operatorAuth = `Basic ${Buffer.from(`${operator.username}:${operator.password}`).toString('base64')}`;
  });
  afterAll(() => t.close());

  /** One answer of each kind: API JSON (ok and error), probes, metrics, docs, the dashboard and its files, a 404. */
  const answers: [string, () => request.Test][] = [
    ['an API answer', () => request(t.http).get('/api/v1/auth/me').set('Authorization', `Bearer ${token}`)],
    ['an API 401', () => request(t.http).get('/api/v1/monitors')],
    ['a 400 naming the field', () => request(t.http).post('/api/v1/auth/login').send({ username: 'x' })],
    ['the liveness probe', () => request(t.http).get('/health/live')],
    ['the metrics', () => request(t.http).get('/metrics')],
    ['Swagger UI', () => request(t.http).get('/docs')],
    ['the OpenAPI JSON', () => request(t.http).get('/docs-json')],
    ['an unknown path', () => request(t.http).get('/no/such/path')],
    ['the dashboard refusing', () => request(t.http).get('/admin/queues')],
    ['the dashboard page', () => request(t.http).get('/admin/queues').set('Authorization', operatorAuth)],
    ['the dashboard API', () => request(t.http).get('/admin/queues/api/queues').set('Authorization', operatorAuth)],
  ];

  it.each(answers)('sets helmet headers and no X-Powered-By on %s', async (_what, send) => {
    const res = await send();
    expect(res.status).toBeLessThan(500);
    expect({
      poweredBy: res.headers['x-powered-by'],
      nosniff: res.headers['x-content-type-options'],
      frame: res.headers['x-frame-options'],
      csp: res.headers['content-security-policy'],
      referrer: res.headers['referrer-policy'],
    }).toEqual({
      poweredBy: undefined,
      nosniff: 'nosniff',
      frame: 'DENY',
      csp: expect.stringContaining("frame-ancestors 'none'"),
      referrer: 'no-referrer',
    });
  });

  it('allows nothing from another host in the Content-Security-Policy', async () => {
    const csp = (await request(t.http).get('/docs')).headers['content-security-policy'] as string;
    const directives = Object.fromEntries(
      csp.split(';').map((directive) => {
        const [name, ...sources] = directive.trim().split(/\s+/);
        return [name, sources];
      }),
    );
    expect(directives['default-src']).toEqual(["'self'"]);
    expect(directives['script-src']).toEqual(["'self'"]);
    expect(directives['object-src']).toEqual(["'none'"]);
    for (const sources of Object.values(directives)) {
      expect((sources as string[]).filter((source) => /^(https?:|\*)/.test(source))).toEqual([]);
    }
  });

  it('serves the dashboard page without a link to an outside host (its fonts came from Google Fonts)', async () => {
    const page = await request(t.http).get('/admin/queues').set('Authorization', operatorAuth);
    expect(page.status).toBe(200);
    expect(page.text).toContain('static/js/main.');
    expect(page.text).not.toMatch(/(href|src)=["']?(https?:)?\/\//i);
  });

  describe('Cache-Control: no-store on what carries a token or credentials', () => {
    it('on the login answer that carries the token', async () => {
      const res = await request(t.http)
        .post('/api/v1/auth/login')
        .send({ username: ADMIN_USERNAME, password: ADMIN_PASSWORD });
      expect(res.status).toBe(200);
      expect(res.body.token).toEqual(expect.any(String));
      expect(res.headers['cache-control']).toBe('no-store');
    });

    it('on the login refusals too', async () => {
      const wrong = await request(t.http).post('/api/v1/auth/login').send({ username: 'nobody', password: 'x' });
      expect(wrong.status).toBe(401);
      expect(wrong.headers['cache-control']).toBe('no-store');
    });

    it('on every other API answer: a user created, the caller, a listing', async () => {
      const created = await admin.post('/users', {
        username: `sec-${unique()}`,
        password: 'a-long-password',
        privileges: 1,
      });
      expect(created.status).toBe(201);
      expect(created.headers['cache-control']).toBe('no-store');
      for (const path of ['/auth/me', '/users']) {
        const res = await admin.get(path);
        expect({ path, status: res.status, cache: res.headers['cache-control'] }).toEqual({
          path,
          status: 200,
          cache: 'no-store',
        });
      }
    });
  });
});
