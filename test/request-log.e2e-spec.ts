import request from 'supertest';
import { unique } from './support/inventory-factory';
import { ADMIN_PASSWORD, ADMIN_USERNAME, startTestApp, type TestApp } from './support/test-app';

/** The one log line per request operators read: its fields, its level, and nothing secret in it. */
describe('request log line (e2e)', () => {
  let t: TestApp;
  let token: string;

  beforeAll(async () => {
    t = await startTestApp();
    token = await t.login();
  });
  afterAll(() => t.close());

  /** The http lines carrying this request id, once at least one is written (it is written as the response ends). */
  async function linesFor(id: string): Promise<Record<string, unknown>[]> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const lines = t
        .systemLog()
        .split('\n')
        .filter((line) => line.includes(id))
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .filter((line) => line.context === 'http');
      if (lines.length > 0 || Date.now() > deadline) return lines;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  it('writes one info line with id, method, URL, status and duration, and no token', async () => {
    const id = `log-${unique()}`;
    const res = await request(t.http)
      .get('/api/v1/auth/me?x=1')
      .set('Authorization', `Bearer ${token}`)
      .set('X-Request-ID', id);
    expect(res.status).toBe(200);
    expect(res.headers['x-request-id']).toBe(id);
    const lines = await linesFor(id);
    expect(lines).toHaveLength(1);
    const [line] = lines;
    expect(line).toMatchObject({
      level: 'info',
      msg: 'request completed',
      req: { id, method: 'GET', url: '/api/v1/auth/me?x=1' },
      res: { status: 200 },
    });
    expect(typeof (line.req as { remote_address?: unknown }).remote_address).toBe('string');
    expect(typeof line.responseTime).toBe('number');
    expect(JSON.stringify(line)).not.toContain(token);
  });

  it('writes a refused request at warn, with a generated id when none was sent', async () => {
    const res = await request(t.http).get('/api/v1/auth/me');
    expect(res.status).toBe(401);
    const id = res.headers['x-request-id'] as string;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const lines = await linesFor(id);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'warn', msg: 'request completed', res: { status: 401 } });
  });

  it('leaves health probes out at level info', async () => {
    const id = `probe-${unique()}`;
    expect((await request(t.http).get('/health/live').set('X-Request-ID', id)).status).toBe(200);
    // A later request's line shows the log has caught up; the probe's line must not be there.
    const marker = `after-${unique()}`;
    await request(t.http).get('/api/v1/auth/me').set('Authorization', `Bearer ${token}`).set('X-Request-ID', marker);
    expect(await linesFor(marker)).toHaveLength(1);
    expect(t.systemLog()).not.toContain(id);
  });

  describe('secrets in the URL (issue 15, item 7)', () => {
    const secret = () => `s3cret-${unique()}`;
    const dashboardLogin = `Basic ${Buffer.from(`${ADMIN_USERNAME}:${ADMIN_PASSWORD}`).toString('base64')}`;

    it('redacts a bearer token sent as ?access_token= (refused with 401) in the log line', async () => {
      const id = `qs-token-${unique()}`;
      const res = await request(t.http).get(`/api/v1/auth/me?access_token=${token}&x=1`).set('X-Request-ID', id);
      expect(res.status).toBe(401);
      const [line] = await linesFor(id);
      expect(line).toMatchObject({ level: 'warn', req: { url: '/api/v1/auth/me?access_token=[redacted]&x=1' } });
      expect(t.systemLog()).not.toContain(token);
    });

    it.each(['token', 'api_key', 'password', 'client_secret'])(
      'redacts ?%s= on an accepted request too',
      async (name) => {
        const id = `qs-${name}-${unique()}`;
        const value = secret();
        await request(t.http)
          .get(`/api/v1/auth/me?${name}=${value}`)
          .set('Authorization', `Bearer ${token}`)
          .set('X-Request-ID', id);
        const [line] = await linesFor(id);
        expect((line.req as { url: string }).url).toBe(`/api/v1/auth/me?${name}=[redacted]`);
        expect(t.systemLog()).not.toContain(value);
      },
    );

    it('redacts it on an unknown path, in the log line and in the 404 that repeats the URL', async () => {
      const id = `qs-404-${unique()}`;
      const value = secret();
      const res = await request(t.http).get(`/api/v1/nope?api_key=${value}`).set('X-Request-ID', id);
      expect(res.status).toBe(404);
      expect(res.body.message).toBe('Cannot GET /api/v1/nope?api_key=[redacted]');
      expect((await linesFor(id))[0]).toMatchObject({ req: { url: '/api/v1/nope?api_key=[redacted]' } });
      expect(t.systemLog()).not.toContain(value);
    });

    it('redacts it on the dashboard under /admin/queues, refused or served', async () => {
      const refusedId = `qs-board-401-${unique()}`;
      const servedId = `qs-board-200-${unique()}`;
      const value = secret();
      const refused = await request(t.http).get(`/admin/queues?token=${value}`).set('X-Request-ID', refusedId);
      expect(refused.status).toBe(401);
      const served = await request(t.http)
        .get(`/admin/queues/api/queues?activeQueue=pull_hosts&session=${value}`)
        .set('Authorization', dashboardLogin)
        .set('X-Request-ID', servedId);
      expect(served.status).toBe(200);
      expect((await linesFor(refusedId))[0]).toMatchObject({ req: { url: '/admin/queues?token=[redacted]' } });
      expect((await linesFor(servedId))[0]).toMatchObject({
        req: { url: '/admin/queues/api/queues?activeQueue=pull_hosts&session=[redacted]' },
      });
      expect(t.systemLog()).not.toContain(value);
    });

    it('puts no query value in a metric label', async () => {
      const value = secret();
      await request(t.http).get(`/api/v1/auth/me?access_token=${value}`);
      await request(t.http).get(`/api/v1/hosts?token=${value}`).set('Authorization', `Bearer ${token}`);
      await request(t.http).get(`/admin/queues?token=${value}`).set('Authorization', dashboardLogin);
      const metrics = await request(t.http).get('/metrics');
      expect(metrics.status).toBe(200);
      expect(metrics.text).toContain('nagare_http_request_duration_seconds');
      expect(metrics.text).not.toContain(value);
    });
  });
});
