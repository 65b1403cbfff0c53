import { jest } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, RedisServer } from './support/redis-server';
import { MASTER_NAME, SentinelCluster } from './support/sentinel-cluster';
import { acceptsConnections, ServiceProcess, waitFor } from './support/service-process';
import { testEnv } from './support/test-app';
import { createTestDatabase, type TestDatabase } from './support/test-database';
import { sleep } from './support/time';

/**
 * Issue 16, item 8: a worker-only process answers its own probes on worker.probe_port. Liveness is the process and
 * its event loop, never Redis; readiness is Redis through the configured connection (sentinels included) and the
 * database. Real `node dist/main.js` workers, each on a private Redis it can lose.
 */
jest.setTimeout(90_000);

/** The manifests' timeoutSeconds: readiness may take its checks' 1 s bound and a little more. */
const PROBE_TIMEOUT_MS = 3000;

interface Probe {
  status: number;
  body: Record<string, unknown>;
}

interface Started {
  worker: ServiceProcess;
  probePort: number;
}

const cleanups: (() => Promise<unknown>)[] = [];

afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

/** A fresh directory and database (SQLite, or PostgreSQL by DATABASE_URL), dropped after the suite. */
async function workspace(): Promise<{ dir: string; database: TestDatabase }> {
  const dir = mkdtempSync(join(tmpdir(), 'nagare-worker-probe-'));
  const database = await createTestDatabase(dir);
  cleanups.push(async () => {
    await database.drop();
    rmSync(dir, { recursive: true, force: true });
  });
  return { dir, database };
}

/** The environment of a worker with its probes on a free loopback port. */
async function workerEnv(overrides: Record<string, string>): Promise<Record<string, string>> {
  const { dir, database } = await workspace();
  return testEnv(dir, database, {
    NAGARE_ROLE: 'worker',
    HOST: '127.0.0.1',
    WORKER_PROBE_PORT: String(await freePort()),
    QUEUE_PREFIX: `nagare-worker-probe:${randomBytes(4).toString('hex')}`,
    ...overrides,
  });
}

function spawn(env: Record<string, string>): ServiceProcess {
  const service = ServiceProcess.spawn({ env, cwd: join(env.LOG_DIR, '..') });
  cleanups.push(() => service.stop('SIGKILL'));
  return service;
}

/** A worker, once it says where it answers its probes. */
async function startWorker(overrides: Record<string, string>): Promise<Started> {
  const env = await workerEnv(overrides);
  const worker = spawn(env);
  await waitFor(
    'the worker to say where it answers its probes',
    () => {
      if (worker.status) throw new Error(`the worker exited: ${JSON.stringify(worker.status)}\n${worker.stderr}`);
      return /"msg":"worker probes on http:\/\/127\.0\.0\.1:\d+"/.test(worker.stdout) ? true : undefined;
    },
    60_000,
  );
  return { worker, probePort: Number(env.WORKER_PROBE_PORT) };
}

/** One probe as the kubelet sends it: a GET with a timeout. Rejects when no answer comes in time. */
async function probe(port: number, path: string, init: RequestInit = {}): Promise<Probe> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, {
    signal: AbortSignal.timeout(PROBE_TIMEOUT_MS),
    ...init,
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** Probes until the status is the wanted one or the time is up; returns the last answer and when it came. */
async function probeUntil(port: number, path: string, status: number, timeoutMs: number) {
  const started = Date.now();
  let last = await probe(port, path);
  while (last.status !== status && Date.now() - started < timeoutMs) {
    await sleep(100);
    last = await probe(port, path);
  }
  return { ...last, afterMs: Date.now() - started };
}

describe('worker probe port (a real worker process)', () => {
  let redis: RedisServer;
  let started: Started;

  beforeAll(async () => {
    redis = await RedisServer.start();
    cleanups.push(() => redis.destroy());
    started = await startWorker({ REDIS_URL: redis.url });
  });

  it('answers /health/live with 200 and the event loop delay, and /health/ready with 200: Redis and the database up', async () => {
    const live = await probe(started.probePort, '/health/live');
    const ready = await probeUntil(started.probePort, '/health/ready', 200, 10_000);

    expect(live).toMatchObject({ status: 200, body: { status: 'ok', info: { event_loop: { status: 'up' } } } });
    expect(live.body.info).toEqual({
      event_loop: {
        status: 'up',
        delay: { p50_ms: expect.any(Number), p99_ms: expect.any(Number), max_ms: expect.any(Number) },
      },
    });
    expect(ready).toMatchObject({
      status: 200,
      body: { status: 'ok', details: { redis: { status: 'up' }, database: { status: 'up' } } },
    });
  });

  it('keeps /health/live at 200 while Redis is down, /health/ready answering 503 naming redis within 2 s', async () => {
    await redis.stop();
    try {
      const ready = await probeUntil(started.probePort, '/health/ready', 503, 2000);
      expect(ready).toMatchObject({ status: 503, body: { status: 'error', error: { redis: { status: 'down' } } } });
      expect(ready.afterMs).toBeLessThanOrEqual(2000);
      // A kubelet's failureThreshold x periodSeconds: 3 x 10 s in the manifests; a few seconds of it here.
      for (let i = 0; i < 5; i++) {
        expect((await probe(started.probePort, '/health/live')).status).toBe(200);
        await sleep(500);
      }
    } finally {
      await redis.resume();
    }
    // ioredis retries at most every 2 s.
    expect((await probeUntil(started.probePort, '/health/ready', 200, 10_000)).status).toBe(200);
  });

  it('gives no answer while the event loop does not run (process stopped), and answers again once it runs', async () => {
    process.kill(started.worker.pid!, 'SIGSTOP');
    try {
      // The kernel still accepts the connection; only the worker's own loop could answer.
      await expect(probe(started.probePort, '/health/live')).rejects.toThrow(/timeout|aborted/i);
    } finally {
      process.kill(started.worker.pid!, 'SIGCONT');
    }
    expect((await probe(started.probePort, '/health/live')).status).toBe(200);
  });

  it('serves the two probes only: 404 for any other path (API routes included), 405 for other methods', async () => {
    expect(await probe(started.probePort, '/api/v1/queue/stats')).toMatchObject({
      status: 404,
      body: { statusCode: 404, error: 'Not Found' },
    });
    expect(await probe(started.probePort, '/metrics')).toMatchObject({ status: 404 });
    const post = await fetch(`http://127.0.0.1:${started.probePort}/health/ready`, { method: 'POST' });
    expect({ status: post.status, allow: post.headers.get('allow') }).toEqual({ status: 405, allow: 'GET, HEAD' });
  });

  it('stops answering once a SIGTERM has ended the worker (exit 0)', async () => {
    expect(await started.worker.stop('SIGTERM', 30_000)).toEqual({ code: 0, signal: null });
    expect(await acceptsConnections(started.probePort)).toBe(false);
  });
});

describe('worker probe port: where it is not', () => {
  it('refuses to start, exit 1 naming WORKER_PROBE_PORT, when the port is taken', async () => {
    const holder: Server = createServer();
    const port = await freePort();
    await new Promise<void>((resolve) => holder.listen(port, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => holder.close(resolve)));
    const worker = spawn(await workerEnv({ WORKER_PROBE_PORT: String(port) }));

    expect(await worker.waitForExit(60_000)).toEqual({ code: 1, signal: null });
    expect(worker.stderr).toMatch(
      /worker\.probe_port \(WORKER_PROBE_PORT\): cannot listen on 127\.0\.0\.1:\d+ \(EADDRINUSE\)/,
    );
  });

  it('opens no probe port with WORKER_PROBE_PORT=0, nor in role all, where the API routes answer the probes', async () => {
    const off = await workerEnv({ WORKER_PROBE_PORT: '0' });
    const offWorker = spawn(off);
    await waitFor(
      'the worker to start',
      () => (/"msg":"worker started"/.test(offWorker.stdout) ? true : undefined),
      60_000,
    );
    expect(offWorker.stdout).not.toMatch(/worker probes on/);

    const all = await workerEnv({ NAGARE_ROLE: 'all', PORT: String(await freePort()) });
    const service = spawn(all);
    expect(await service.waitUntilLive(60_000)).toBe('live');
    expect(await acceptsConnections(Number(all.WORKER_PROBE_PORT))).toBe(false);
    expect(service.stdout).not.toMatch(/worker probes on/);
  });
});

describe('worker probe port with Redis Sentinel', () => {
  const masterPassword = `master-${randomBytes(8).toString('hex')}`;
  const sentinelPassword = `sentinel-${randomBytes(8).toString('hex')}`;

  it('reports ready through the sentinels while REDIS_ADDR points at no Redis, and follows a failover', async () => {
    const cluster = await SentinelCluster.start({ masterPassword, sentinelPassword });
    cleanups.push(() => cluster.destroy());
    const deadPort = await freePort();
    const { probePort } = await startWorker({
      // The test environment's direct REDIS_URL would be refused beside the sentinels; REDIS_ADDR is what the
      // ConfigMap sets and what the old exec probe connected to: nothing listens there.
      REDIS_URL: '',
      REDIS_ADDR: `127.0.0.1:${deadPort}`,
      REDIS_SENTINELS: cluster.sentinelsJson,
      REDIS_SENTINEL_NAME: MASTER_NAME,
      REDIS_SENTINEL_PASSWORD: sentinelPassword,
      REDIS_PASSWORD: masterPassword,
    });

    const ready = await probeUntil(probePort, '/health/ready', 200, 15_000);
    expect(ready).toMatchObject({ status: 200, body: { details: { redis: { status: 'up' } } } });

    await cluster.killMaster();
    expect((await probeUntil(probePort, '/health/ready', 503, 5000)).status).toBe(503);
    expect((await probe(probePort, '/health/live')).status).toBe(200);
    // The sentinels promote the replica (down-after 1 s); the worker's connection asks them for the new master.
    expect((await probeUntil(probePort, '/health/ready', 200, 60_000)).status).toBe(200);
  });
});
