import type { Server } from 'node:http';
import request from 'supertest';
import { RedisServer } from './support/redis-server';
import { startTestApp, type TestApp } from './support/test-app';
import { sleep } from './support/time';

/** The promise: a probe answers within 2 s, whatever Redis is doing. */
const PROBE_DEADLINE_MS = 2000;
const RECOVERY_DEADLINE_MS = 10_000;
const REDIS_WARNING = 'Redis unavailable';

type Indicators = Record<string, { status: 'up' | 'down'; message?: string }>;

/** Terminus's report, as /health/live and /health/ready answer it. */
interface HealthReport {
  status: 'ok' | 'error';
  info: Indicators;
  error: Indicators;
  details: Indicators;
}

interface ProbeResult {
  status: number;
  body: HealthReport;
  ms: number;
}

async function probe(http: Server, path: '/health/live' | '/health/ready'): Promise<ProbeResult> {
  const started = performance.now();
  const res = await request(http).get(path);
  return { status: res.status, body: res.body, ms: performance.now() - started };
}

/** Probes until ready answers the wanted status, or gives up after the deadline and returns the last answer. */
async function pollReady(http: Server, status: number, deadlineMs = RECOVERY_DEADLINE_MS): Promise<ProbeResult> {
  const deadline = Date.now() + deadlineMs;
  let last = await probe(http, '/health/ready');
  while (last.status !== status && Date.now() < deadline) {
    await sleep(200);
    last = await probe(http, '/health/ready');
  }
  return last;
}

async function waitFor(condition: () => boolean, deadlineMs: number): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (!condition() && Date.now() < deadline) await sleep(100);
}

function redisWarnings(t: TestApp): number {
  return t
    .systemLog()
    .split('\n')
    .filter((line) => line.includes(REDIS_WARNING) && line.includes('"level":"warn"')).length;
}

function expectReadyUp(result: ProbeResult): void {
  expect(result.status).toBe(200);
  expect(result.body.details.redis.status).toBe('up');
  expect(result.body.details.database.status).toBe('up');
}

function expectReadyNamingRedisDown(result: ProbeResult): void {
  expect(result.status).toBe(503);
  expect(result.ms).toBeLessThan(PROBE_DEADLINE_MS);
  expect(result.body.status).toBe('error');
  expect(result.body.error.redis.status).toBe('down');
  expect(result.body.error).not.toHaveProperty('database');
  expect(result.body.details.database.status).toBe('up');
}

function expectLive(result: ProbeResult): void {
  expect(result.status).toBe(200);
  expect(result.ms).toBeLessThan(PROBE_DEADLINE_MS);
  expect(result.body.status).toBe('ok');
}

describe('health probes (e2e)', () => {
  // Scenarios that close the app on dead sockets come first: ioredis keeps a 2 s timer per dead socket it ends,
  // which would otherwise outlive the suite and hold Jest open.
  describe('shutdown during an outage', () => {
    let redis: RedisServer;
    let t: TestApp | undefined;

    beforeEach(async () => {
      redis = await RedisServer.start();
    });
    afterEach(async () => {
      await t?.close();
      t = undefined;
      await redis.destroy();
    });

    /** Closes the app (once) and returns how long that took. */
    async function closeApp(): Promise<number> {
      const app = t!;
      t = undefined;
      const started = Date.now();
      await app.close();
      return Date.now() - started;
    }

    it('closes the app in bounded time while Redis is down', async () => {
      t = await startTestApp({ REDIS_URL: redis.url });
      expectReadyUp(await probe(t.http, '/health/ready'));
      await redis.stop();
      expectReadyNamingRedisDown(await pollReady(t.http, 503, PROBE_DEADLINE_MS));
      expect(await closeApp()).toBeLessThan(5000);
    });

    it('closes the app in bounded time when Redis was never reachable', async () => {
      await redis.stop();
      t = await startTestApp({ REDIS_URL: redis.url });
      expect(await closeApp()).toBeLessThan(5000);
    });
  });

  describe('when the app starts while Redis is down', () => {
    let redis: RedisServer;
    let t: TestApp | undefined;

    beforeAll(async () => {
      redis = await RedisServer.start();
      await redis.stop();
    });
    afterAll(async () => {
      await t?.close();
      await redis?.destroy();
    });

    it('starts anyway, live 200 and ready 503 naming Redis', async () => {
      const started = Date.now();
      t = await startTestApp({ REDIS_URL: redis.url });
      expect(Date.now() - started).toBeLessThan(10_000);

      expectLive(await probe(t.http, '/health/live'));
      expectReadyNamingRedisDown(await probe(t.http, '/health/ready'));
      // The warning comes with the first failed reconnect after boot, a fraction of a second later.
      await waitFor(() => redisWarnings(t!) > 0, 3000);
      expect(redisWarnings(t)).toBeGreaterThanOrEqual(1);
      expect(redisWarnings(t)).toBeLessThanOrEqual(3);
    });

    it('becomes ready by itself once Redis comes up', async () => {
      await redis.resume();
      expectReadyUp(await pollReady(t!.http, 200));
    });
  });

  // One app on a private Redis, walked through an outage in order: up, killed, back on the same port.
  describe('when Redis goes away and comes back', () => {
    let redis: RedisServer;
    let t: TestApp;

    beforeAll(async () => {
      redis = await RedisServer.start();
      t = await startTestApp({ REDIS_URL: redis.url });
    });
    afterAll(async () => {
      await t?.close();
      await redis?.destroy();
    });

    it('answers live 200 and ready 200 with Redis and the database up', async () => {
      expectLive(await probe(t.http, '/health/live'));
      expectReadyUp(await probe(t.http, '/health/ready'));
    });

    it('answers ready 503 naming Redis within 2 s after Redis is killed, while live stays 200', async () => {
      await redis.stop();
      // Every probe over about 3 s of outage, not just the first: none may hang in ioredis's offline queue.
      const until = Date.now() + 3000;
      while (Date.now() < until) {
        expectReadyNamingRedisDown(await probe(t.http, '/health/ready'));
        expectLive(await probe(t.http, '/health/live'));
        await sleep(250);
      }
    });

    it('logs the outage a few times, not on every reconnect attempt', async () => {
      // The previous test has just spent ~3 s in the outage, through several reconnect attempts on each connection.
      const warnings = redisWarnings(t);
      expect(warnings).toBeGreaterThanOrEqual(1);
      expect(warnings).toBeLessThanOrEqual(3);
    });

    it('returns ready to 200 by itself once Redis is back on the same port', async () => {
      await redis.resume();
      expectReadyUp(await pollReady(t.http, 200));
      expectLive(await probe(t.http, '/health/live'));
    });

    it('stays ready while the other queue connections finish reconnecting', async () => {
      // Reconnect attempts are up to 2 s apart, so some connections come back after the first 200.
      const until = Date.now() + 2500;
      while (Date.now() < until) {
        expectReadyUp(await probe(t.http, '/health/ready'));
        await sleep(250);
      }
    });
  });
});
