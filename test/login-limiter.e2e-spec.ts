import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { ADMIN_PASSWORD, ADMIN_USERNAME, startTestApp, type TestApp } from './support/test-app';

const LOGIN = '/api/v1/auth/login';
const MAX_FAILURES = 3;

/** A 429 of the limiter: its shape, and Retry-After equal to retry_after, within the bound it may reach. */
function expectLimited(res: request.Response, maxSeconds: number): void {
  expect({ status: res.status, body: res.body }).toEqual({
    status: 429,
    body: {
      statusCode: 429,
      error: 'Too Many Requests',
      message: expect.stringMatching(/too many failed logins/i),
      retry_after: expect.any(Number),
    },
  });
  expect(res.body.retry_after).toBeGreaterThan(0);
  expect(res.body.retry_after).toBeLessThanOrEqual(maxSeconds);
  expect(res.headers['retry-after']).toBe(String(res.body.retry_after));
}

/** A user of its own for each test, so that no test inherits another's counts. */
async function createUser(t: TestApp, prefix: string): Promise<{ username: string; password: string }> {
  const user = {
    username: `${prefix}-${randomBytes(3).toString('hex')}`,
    password: `pw-${randomBytes(8).toString('hex')}`,
  };
  const res = await request(t.http)
    .post('/api/v1/users')
    .set('Authorization', `Bearer ${await t.login()}`)
    .send({ ...user, privileges: 1 });
  expect(res.status).toBe(201);
  return user;
}

describe('login limiter (e2e)', () => {
  let t: TestApp;
  const windowSeconds = () => t.config.auth.loginWindowSeconds;

  /** All from one address, as every client looks behind a proxy when TRUST_PROXY is off. */
  const attempt = (username: string, password: string, headers: Record<string, string> = {}) =>
    request(t.http).post(LOGIN).set(headers).send({ username, password });

  beforeAll(async () => {
    t = await startTestApp({ LOGIN_MAX_FAILURES: String(MAX_FAILURES) });
  });
  afterAll(() => t.close());

  it('forgets the failures of a username once that username logs in from the same client', async () => {
    const user = await createUser(t, 'forgiven');
    for (let round = 0; round < 2; round += 1) {
      for (let i = 0; i < MAX_FAILURES - 1; i += 1) expect((await attempt(user.username, 'wrong')).status).toBe(401);
      expect((await attempt(user.username, user.password)).status).toBe(200);
    }
  });

  it('answers 429 with retry_after and Retry-After to the attempt after 3 failures, even with the right password', async () => {
    const user = await createUser(t, 'locked');
    for (let i = 0; i < MAX_FAILURES; i += 1) expect((await attempt(user.username, 'wrong')).status).toBe(401);

    const res = await attempt(user.username, user.password);

    expectLimited(res, windowSeconds());
    expect(res.body).not.toHaveProperty('token');
  });

  it("is not bypassed by another user's successful logins between the guesses (issue 15, item 3)", async () => {
    const victim = await createUser(t, 'victim');
    const accomplice = await createUser(t, 'accomplice');
    const victimStatuses: number[] = [];
    for (let round = 0; round < 3; round += 1) {
      for (let i = 0; i < MAX_FAILURES - 1; i += 1)
        victimStatuses.push((await attempt(victim.username, 'wrong')).status);
      expect((await attempt(accomplice.username, accomplice.password)).status).toBe(200);
    }
    expect(victimStatuses.slice(0, MAX_FAILURES)).toEqual(Array(MAX_FAILURES).fill(401));
    expect(victimStatuses.slice(MAX_FAILURES)).toEqual(Array(victimStatuses.length - MAX_FAILURES).fill(429));
  });

  it('does not lock other usernames out of a shared address: the guesses at one user block only that user', async () => {
    const target = await createUser(t, 'target');
    const colleague = await createUser(t, 'colleague');
    for (let i = 0; i < MAX_FAILURES; i += 1) await attempt(target.username, 'wrong');
    expectLimited(await attempt(target.username, target.password), windowSeconds());

    expect((await attempt(colleague.username, 'mistyped')).status).toBe(401);
    expect((await attempt(colleague.username, colleague.password)).status).toBe(200);
    expect((await attempt(ADMIN_USERNAME, ADMIN_PASSWORD)).status).toBe(200);
  });

  it('counts a username in any case and with surrounding spaces as one', async () => {
    const user = await createUser(t, 'cased');
    await attempt(user.username.toUpperCase(), 'wrong');
    await attempt(` ${user.username}`, 'wrong');
    await attempt(user.username, 'wrong');
    expectLimited(await attempt(user.username, user.password), windowSeconds());
  });

  it('keeps refusing a blocked client that claims another address in X-Forwarded-For', async () => {
    const user = await createUser(t, 'spoofer');
    for (let i = 0; i < MAX_FAILURES; i += 1) await attempt(user.username, 'wrong');
    expectLimited(await attempt(user.username, user.password, { 'X-Forwarded-For': '203.0.113.7' }), windowSeconds());
  });
});

describe('login limiter behind a trusted proxy (e2e)', () => {
  const DAILY_MAX_FAILURES = 5;
  let t: TestApp;

  const attemptFrom = (client: string, username: string, password: string) =>
    request(t.http).post(LOGIN).set('X-Forwarded-For', client).send({ username, password });

  beforeAll(async () => {
    t = await startTestApp({
      LOGIN_MAX_FAILURES: String(MAX_FAILURES),
      LOGIN_DAILY_FAILURES: String(DAILY_MAX_FAILURES),
      TRUST_PROXY: 'true',
    });
  });
  afterAll(() => t.close());

  it('lets only 3 of 10 concurrent wrong guesses from one client reach the password check', async () => {
    const responses = await Promise.all(
      Array.from({ length: 10 }, () => attemptFrom('198.51.100.1', ADMIN_USERNAME, 'wrong')),
    );
    expect(responses.filter((res) => res.status === 401)).toHaveLength(MAX_FAILURES);
    const limited = responses.filter((res) => res.status === 429);
    expect(limited).toHaveLength(10 - MAX_FAILURES);
    for (const res of limited) expectLimited(res, t.config.auth.loginWindowSeconds);
  });

  it('lets the right password in from another client while one client is blocked for that user', async () => {
    for (let i = 0; i < MAX_FAILURES; i += 1) await attemptFrom('198.51.100.2', ADMIN_USERNAME, 'wrong');
    expectLimited(await attemptFrom('198.51.100.2', ADMIN_USERNAME, ADMIN_PASSWORD), t.config.auth.loginWindowSeconds);
    expect((await attemptFrom('198.51.100.3', ADMIN_USERNAME, ADMIN_PASSWORD)).status).toBe(200);
  });

  it('blocks a client for the day once it failed the daily number of times across usernames, and only it', async () => {
    const sprayer = '198.51.100.4';
    const statuses: number[] = [];
    for (let i = 0; i < DAILY_MAX_FAILURES; i += 1) {
      statuses.push((await attemptFrom(sprayer, `sprayed-${i}`, 'Summer2026!')).status);
    }
    expect(statuses).toEqual(Array(DAILY_MAX_FAILURES).fill(401));

    const next = await attemptFrom(sprayer, 'sprayed-next', 'Summer2026!');
    expectLimited(next, 86_400);
    expect(next.body.retry_after).toBeGreaterThan(t.config.auth.loginWindowSeconds);
    expectLimited(await attemptFrom(sprayer, ADMIN_USERNAME, ADMIN_PASSWORD), 86_400);
    expect((await attemptFrom('198.51.100.5', ADMIN_USERNAME, ADMIN_PASSWORD)).status).toBe(200);
  });

  it('does not count successful logins toward the daily number', async () => {
    const client = '198.51.100.6';
    for (let i = 0; i < DAILY_MAX_FAILURES + 2; i += 1) {
      expect((await attemptFrom(client, ADMIN_USERNAME, ADMIN_PASSWORD)).status).toBe(200);
    }
    expect((await attemptFrom(client, 'someone', 'wrong')).status).toBe(401);
  });
});

describe('login limiter across replicas (e2e)', () => {
  let replicas: TestApp[] = [];
  const prefix = `nagare-test:${randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    // Two API processes of one deployment: the same Redis and key prefix.
    const shared = {
      LOGIN_MAX_FAILURES: String(MAX_FAILURES),
      QUEUE_PREFIX: prefix,
    };
    replicas = [await startTestApp(shared), await startTestApp(shared)];
  });
  afterAll(async () => {
    await Promise.all(replicas.map((replica) => replica.close()));
  });

  it('shares the counts: failures on one replica count on the other', async () => {
    const [a, b] = replicas;
    const attempt = (replica: TestApp, password: string) =>
      request(replica.http).post(LOGIN).send({ username: ADMIN_USERNAME, password });
    expect((await attempt(a, 'wrong')).status).toBe(401);
    expect((await attempt(b, 'wrong')).status).toBe(401);
    expect((await attempt(a, 'wrong')).status).toBe(401);

    expectLimited(await attempt(b, ADMIN_PASSWORD), a.config.auth.loginWindowSeconds);
    expectLimited(await attempt(a, ADMIN_PASSWORD), a.config.auth.loginWindowSeconds);
  });

  it("keeps the counts in the service's Redis under its key prefix, by client and lower-case username", async () => {
    const redis = new Redis(process.env.NAGARE_TEST_REDIS_URL!);
    try {
      const keys = await redis.keys(`${prefix}:login-fails:*`);
      expect(keys).toEqual(
        expect.arrayContaining([
          expect.stringMatching(new RegExp(`^${prefix}:login-fails:user-client:\\S+ ${ADMIN_USERNAME}$`)),
          expect.stringMatching(new RegExp(`^${prefix}:login-fails:client-day:\\S+$`)),
        ]),
      );
    } finally {
      redis.disconnect();
    }
  });
});

describe('Login limiter behind one proxy that appends to X-Forwarded-For (TRUST_PROXY=1) (e2e)', () => {
  const MAX_FAILURES = 3;
  let t: TestApp;

  /** As an appending proxy forwards it: whatever the client claimed, then the address the proxy saw. */
  const viaProxy = (claimed: string, seen: string, password: string) =>
    request(t.http)
      .post(LOGIN)
      .set('X-Forwarded-For', `${claimed}, ${seen}`)
      .send({ username: ADMIN_USERNAME, password });

  beforeAll(async () => {
    t = await startTestApp({ LOGIN_MAX_FAILURES: String(MAX_FAILURES), TRUST_PROXY: '1' });
  });
  afterAll(() => t.close());

  it('counts the address the proxy saw, so a client naming a new address each time is still blocked', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < MAX_FAILURES + 2; i += 1) {
      statuses.push((await viaProxy(`198.51.100.${100 + i}`, '203.0.113.9', 'wrong')).status);
    }
    expect(statuses).toEqual([...Array(MAX_FAILURES).fill(401), 429, 429]);
    expect((await viaProxy('198.51.100.200', '203.0.113.10', ADMIN_PASSWORD)).status).toBe(200);
  });
});
