import request from 'supertest';
import { RedisServer } from './support/redis-server';
import { ADMIN_PASSWORD, ADMIN_USERNAME, startTestApp, type TestApp } from './support/test-app';

const LOGIN = '/api/v1/auth/login';
const MAX_FAILURES = 3;
/** The limiter's own bound is 0.5 s (LOGIN_LIMIT_TIMEOUT_MS), then one argon2 check; far under any client timeout. */
const ANSWER_WITHIN_MS = 2000;

/**
 * The limiter fails open to counting in the process's memory: with Redis down or hanging, logins still answer in
 * bounded time, the right password still logs in, and guesses are still refused past the limit (per process then).
 */
describe('login limiter while Redis is down (e2e)', () => {
  let redis: RedisServer;
  let t: TestApp;

  async function timedLogin(username: string, password: string): Promise<{ res: request.Response; ms: number }> {
    const started = Date.now();
    const res = await request(t.http).post(LOGIN).send({ username, password });
    return { res, ms: Date.now() - started };
  }

  beforeAll(async () => {
    redis = await RedisServer.start();
    t = await startTestApp({ REDIS_URL: redis.url, LOGIN_MAX_FAILURES: String(MAX_FAILURES) });
    // With Redis up, the counts are kept there: a failure now must not be visible in the memory counts used later.
    expect((await timedLogin(ADMIN_USERNAME, 'wrong')).res.status).toBe(401);
  });
  afterAll(async () => {
    if (redis.pid) process.kill(redis.pid, 'SIGCONT');
    await redis.resume().catch(() => undefined);
    await t?.close();
    await redis?.destroy();
  });

  it('answers within the bound while Redis hangs (stopped, connections open), and lets the right password in', async () => {
    process.kill(redis.pid!, 'SIGSTOP');
    try {
      const { res, ms } = await timedLogin(ADMIN_USERNAME, ADMIN_PASSWORD);
      expect(res.status).toBe(200);
      expect(ms).toBeLessThan(ANSWER_WITHIN_MS);
    } finally {
      process.kill(redis.pid!, 'SIGCONT');
    }
  });

  it('answers at once while Redis is gone, and still refuses the guess past the limit with Retry-After', async () => {
    await redis.stop();
    const right = await timedLogin(ADMIN_USERNAME, ADMIN_PASSWORD);
    expect(right.res.status).toBe(200);
    expect(right.ms).toBeLessThan(ANSWER_WITHIN_MS);

    const statuses: number[] = [];
    for (let i = 0; i < MAX_FAILURES; i += 1) {
      const { res, ms } = await timedLogin('outage-user', 'wrong');
      statuses.push(res.status);
      expect(ms).toBeLessThan(ANSWER_WITHIN_MS);
    }
    const limited = await timedLogin('outage-user', 'wrong');

    expect(statuses).toEqual(Array(MAX_FAILURES).fill(401));
    expect(limited.res.status).toBe(429);
    expect(limited.ms).toBeLessThan(ANSWER_WITHIN_MS);
    expect(limited.res.headers['retry-after']).toBe(String(limited.res.body.retry_after));
    expect(limited.res.body.retry_after).toBeGreaterThan(0);
  });
});
