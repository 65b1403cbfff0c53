import request from 'supertest';
import { unique } from './support/inventory-factory';
import { startTestApp, type TestApp } from './support/test-app';

/** A login body whose `x` holds `levels` arrays inside one another (the body itself is one level more). */
function nestedLogin(levels: number): string {
  return `{"username":"a","password":"b","x":${'['.repeat(levels)}${']'.repeat(levels)}}`;
}

const DEPTH_MESSAGE = /nests deeper than 32 levels .*server\.json_max_depth/;

const VALUES_MESSAGE = /holds more than 1000 values .*server\.json_max_values/;

/** Deep or wide JSON is refused before it is parsed, transformed or validated (issue 15, item 1). */
describe('JSON body limits: depth and values (e2e)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  /** The server's own duration (ms) of the request with this id, from its request log line. */
  async function serverMs(id: string): Promise<number> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const line = t
        .systemLog()
        .split('\n')
        .find((text) => text.includes(id) && text.includes('"context":"http"'));
      if (line) return (JSON.parse(line) as { responseTime: number }).responseTime;
      if (Date.now() > deadline) throw new Error(`no request log line for ${id}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  it('refuses a 1 MB login body nested 500,000 levels with a 400 naming the limit, within 200 ms', async () => {
    const body = nestedLogin(500_000);
    expect(body.length).toBeGreaterThan(1_000_000);
    const id = `deep-${unique()}`;
    const started = performance.now();
    const res = await request(t.http)
      .post('/api/v1/auth/login')
      .set('Content-Type', 'application/json')
      .set('X-Request-ID', id)
      .send(body);
    const clientMs = performance.now() - started;
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ statusCode: 400, error: 'Bad Request', message: expect.stringMatching(DEPTH_MESSAGE) });
    // A sanity bound on a shared machine; the refusal itself takes a few ms (the figures are in docs/reliability.md).
    const ms = await serverMs(id);
    console.log(
      `json limits: 1 MB body of 500,000 levels refused in ${ms} ms (server), ${clientMs.toFixed(1)} ms (client)`,
    );
    expect(ms).toBeLessThan(200);
    expect(clientMs).toBeLessThan(1000);
  });

  it('keeps answering GET /auth/me promptly while two clients loop that body', async () => {
    const token = await t.login();
    const body = nestedLogin(500_000);
    let attacking = true;
    const attacker = async () => {
      while (attacking) {
        await request(t.http).post('/api/v1/auth/login').set('Content-Type', 'application/json').send(body);
      }
    };
    const attackers = [attacker(), attacker()];
    const latencies: number[] = [];
    for (let i = 0; i < 10; i++) {
      const started = performance.now();
      const res = await request(t.http).get('/api/v1/auth/me').set('Authorization', `Bearer ${token}`);
      latencies.push(performance.now() - started);
      expect(res.status).toBe(200);
    }
    attacking = false;
    await Promise.all(attackers);
    console.log(
      `json limits: GET /auth/me under two deep-body loops: ${latencies.map((ms) => ms.toFixed(0)).join(', ')} ms`,
    );
    // It took 1.8 s before the fix (issue 15); the bound is generous for a shared machine.
    expect(Math.max(...latencies)).toBeLessThan(1000);
  });

  it('refuses the same body on a guarded route before authentication, and on a path no route serves', async () => {
    const body = nestedLogin(50_000);
    const hosts = await request(t.http).post('/api/v1/hosts').set('Content-Type', 'application/json').send(body);
    expect(hosts.status).toBe(400);
    expect(hosts.body.message).toMatch(DEPTH_MESSAGE);
    const unrouted = await request(t.http).post('/api/v1/auth/me').set('Content-Type', 'application/json').send(body);
    expect(unrouted.status).toBe(400);
  });

  it('validates a body of exactly 32 levels as usual, and refuses one of 33', async () => {
    const atLimit = await request(t.http)
      .post('/api/v1/auth/login')
      .set('Content-Type', 'application/json')
      .send(nestedLogin(31));
    expect(atLimit.status).toBe(400);
    expect(JSON.stringify(atLimit.body.message)).toContain('property x should not exist');
    const overLimit = await request(t.http)
      .post('/api/v1/auth/login')
      .set('Content-Type', 'application/json')
      .send(nestedLogin(32));
    expect(overLimit.status).toBe(400);
    expect(overLimit.body.message).toMatch(DEPTH_MESSAGE);
  });

  it.each([
    ['340,000 empty objects', `[${'{},'.repeat(340_000)}{}]`],
    ['60,000 members', `{${Array.from({ length: 60_000 }, (_, i) => `"k${i}":1`).join(',')}}`],
    ['a field of 100,000 small arrays', `{"username":"a","password":"b","x":[${'[[[1]]],'.repeat(100_000)}1]}`],
  ])('refuses a login body of %s with a 400 naming the limit, within 1 s', async (_what, body) => {
    // The fastest of three sends: the code's own cost, not a moment when another suite's process had the CPU. A
    // regression to parsing and validating such a body costs seconds every time, and fails. The 1 MB body takes 2 ms
    // on Node 20 but took 203-314 ms once on Node 24 (CI, 2026-12-07; the smaller bodies 1-9 ms): not yet explained.
    const times: number[] = [];
    for (let attempt = 0; attempt < 3; attempt++) {
      const id = `wide-${unique()}`;
      const res = await request(t.http)
        .post('/api/v1/auth/login')
        .set('Content-Type', 'application/json')
        .set('X-Request-ID', id)
        .send(body);
      expect(res.status).toBe(400);
      expect(res.body).toEqual({
        statusCode: 400,
        error: 'Bad Request',
        message: expect.stringMatching(VALUES_MESSAGE),
      });
      times.push(await serverMs(id));
    }
    console.log(`json limits: ${_what} (${body.length} bytes) refused in ${times.join(', ')} ms (server)`);
    expect(Math.min(...times)).toBeLessThan(1000);
  });

  it('does not count brackets inside strings', async () => {
    const res = await request(t.http)
      .post('/api/v1/auth/login')
      .send({ username: 'admin', password: `${'['.repeat(100)}{"a":"\\"${'{'.repeat(100)}` });
    expect(res.status).toBe(401);
  });

  it('refuses a UTF-7 body (which may spell brackets as letters) with a 415 asking for UTF-8', async () => {
    const res = await request(t.http)
      .post('/api/v1/auth/login')
      .set('Content-Type', 'application/json; charset=utf-7')
      .send('{"username":"a","password":"b","x":+AFsAWwBbAF0AXQBd-}');
    expect(res.status).toBe(415);
    expect(res.body).toEqual({
      statusCode: 415,
      error: 'Unsupported Media Type',
      message: expect.stringContaining('UTF-8'),
    });
  });

  describe('with server.json_max_depth at 3 and server.json_max_values at 4', () => {
    let shallow: TestApp;

    beforeAll(async () => {
      shallow = await startTestApp({ JSON_MAX_DEPTH: '3', JSON_MAX_VALUES: '4' });
    });
    afterAll(() => shallow.close());

    it('refuses a body of 4 levels naming the configured limit, and serves one of 3', async () => {
      const deep = await request(shallow.http)
        .post('/api/v1/auth/login')
        .set('Content-Type', 'application/json')
        .send(nestedLogin(3));
      expect(deep.status).toBe(400);
      expect(deep.body.message).toMatch(/nests deeper than 3 levels/);
      const shallowEnough = await request(shallow.http)
        .post('/api/v1/auth/login')
        .set('Content-Type', 'application/json')
        .send(nestedLogin(2));
      expect(shallowEnough.status).toBe(400);
      expect(JSON.stringify(shallowEnough.body.message)).toContain('property x should not exist');
    });

    it('refuses a body of 5 values naming the configured limit, and serves one of 2', async () => {
      const wide = await request(shallow.http)
        .post('/api/v1/auth/login')
        .send({ username: 'admin', password: 'x', a: 1, b: 2, c: 3 });
      expect(wide.status).toBe(400);
      expect(wide.body.message).toBe('the JSON body holds more than 4 values (server.json_max_values)');
      await expect(shallow.login()).resolves.toEqual(expect.any(String));
    });
  });
});
