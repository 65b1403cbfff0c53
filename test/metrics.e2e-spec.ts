import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { TaskQueues } from '../src/queue/task-queues';
import { TASK_TYPES } from '../src/queue/task-types';
import { type Api, apiAs, createMonitor, seeder } from './support/inventory-factory';
import { RedisServer } from './support/redis-server';
import { startTestApp, type TestApp } from './support/test-app';
import { createTestDatabase, type TestDatabase } from './support/test-database';
import { sleep } from './support/time';

const DEADLINE_MS = 15_000;

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

interface Exposition {
  /** `# TYPE` of each metric family. */
  types: Map<string, string>;
  samples: Sample[];
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?\s*/gy;

/** The Prometheus text exposition format (0.0.4): throws on any line it cannot read, so a malformed answer fails. */
function parseExposition(text: string): Exposition {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    if (line.startsWith('#')) {
      const type = /^# TYPE (\S+) (counter|gauge|histogram|summary|untyped)$/.exec(line);
      if (type) types.set(type[1], type[2]);
      else if (!/^# HELP \S+ /.test(line)) throw new Error(`unreadable comment line: ${line}`);
      continue;
    }
    const match = SAMPLE.exec(line);
    if (!match) throw new Error(`unreadable sample line: ${line}`);
    const labels: Record<string, string> = {};
    const body = match[2] ?? '';
    let consumed = 0;
    LABEL.lastIndex = 0;
    for (let label = LABEL.exec(body); label; label = LABEL.exec(body)) {
      labels[label[1]] = label[2].replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
      consumed = LABEL.lastIndex;
    }
    if (consumed !== body.length) throw new Error(`unreadable labels: ${line}`);
    const value = match[3] === '+Inf' ? Infinity : match[3] === '-Inf' ? -Infinity : Number(match[3]);
    // prom-client writes a gauge with no sample yet (the event-loop lag's first scrape) as `Nan`, which Prometheus
    // reads (its parser takes NaN in any case).
    if (Number.isNaN(value) && !/^nan$/i.test(match[3])) throw new Error(`unreadable value: ${line}`);
    samples.push({ name: match[1], labels, value });
  }
  return { types, samples };
}

/** The samples of `name` whose labels include `labels`. */
const find = (exposition: Exposition, name: string, labels: Record<string, string> = {}) =>
  exposition.samples.filter(
    (sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value),
  );

const valueOf = (exposition: Exposition, name: string, labels: Record<string, string>) =>
  find(exposition, name, labels)[0]?.value;

async function scrape(t: TestApp, token?: string): Promise<Exposition> {
  const req = request(t.http).get('/metrics');
  const res = await (token ? req.set('Authorization', `Bearer ${token}`) : req);
  expect(res.status).toBe(200);
  expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  return parseExposition(res.text);
}

/** Scrapes until `ready` holds (the task counters follow Bull's pub/sub events, a moment after the task ends). */
async function scrapeUntil(t: TestApp, ready: (exposition: Exposition) => boolean): Promise<Exposition> {
  const deadline = Date.now() + DEADLINE_MS;
  for (;;) {
    const exposition = await scrape(t);
    if (ready(exposition) || Date.now() > deadline) return exposition;
    await sleep(100);
  }
}

async function runTestAlertTask(api: Api): Promise<void> {
  const queued = await api.post('/alerts/generate-test-async?count=1');
  expect(queued.status).toBe(202);
  const deadline = Date.now() + DEADLINE_MS;
  for (;;) {
    const task = await api.get(`/tasks/${queued.body.task_id}`);
    if (task.body.state === 'completed') return;
    if (Date.now() > deadline) throw new Error(`task still ${task.body.state}: ${JSON.stringify(task.body)}`);
    await sleep(100);
  }
}

describe('GET /metrics (e2e)', () => {
  describe('without metrics.token', () => {
    let t: TestApp;
    let api: Api;
    let monitorId: number;
    let exposition: Exposition;

    beforeAll(async () => {
      t = await startTestApp();
      api = apiAs(t, await t.login());
      monitorId = (await createMonitor(api)).id;
      await seeder(t).syncedHost(monitorId);
      expect((await api.get(`/monitors/${monitorId}`)).status).toBe(200);
      expect((await api.get('/monitors/987654321')).status).toBe(404);
      expect((await request(t.http).get('/no/such/path/4242')).status).toBe(404);
      expect((await request(t.http).get('/health/live')).status).toBe(200);
      await runTestAlertTask(api);
      exposition = await scrapeUntil(
        t,
        (e) =>
          (valueOf(e, 'nagare_tasks_completed_total', { type: 'generate_alerts' }) ?? 0) >= 1 &&
          (valueOf(e, 'nagare_task_duration_seconds_count', { type: 'generate_alerts' }) ?? 0) >= 1,
      );
    });
    afterAll(() => t.close());

    it('is public outside /api/v1, in the Prometheus text format with a TYPE for each family', () => {
      expect(exposition.types.get('nagare_queue_jobs')).toBe('gauge');
      expect(exposition.types.get('nagare_dead_letters')).toBe('gauge');
      expect(exposition.types.get('nagare_tasks_completed_total')).toBe('counter');
      expect(exposition.types.get('nagare_tasks_failed_total')).toBe('counter');
      expect(exposition.types.get('nagare_tasks_retried_total')).toBe('counter');
      expect(exposition.types.get('nagare_task_duration_seconds')).toBe('histogram');
      expect(exposition.types.get('nagare_http_request_duration_seconds')).toBe('histogram');
    });

    it('has a waiting, active, delayed and failed gauge for every task type, read from Redis', () => {
      const gauges = find(exposition, 'nagare_queue_jobs').map(({ labels }) => `${labels.type}/${labels.state}`);
      const expected = TASK_TYPES.flatMap((type) =>
        ['waiting', 'active', 'delayed', 'failed'].map((s) => `${type}/${s}`),
      );
      expect(gauges.sort()).toEqual(expected.sort());
      expect(valueOf(exposition, 'nagare_queue_jobs', { type: 'generate_alerts', state: 'waiting' })).toBe(0);
      expect(valueOf(exposition, 'nagare_queue_scrape_ok', {})).toBe(1);
      expect(valueOf(exposition, 'nagare_dead_letters', {})).toBe(0);
    });

    it('counts the completed generate_alerts task and records its duration in the histogram', () => {
      expect(valueOf(exposition, 'nagare_tasks_completed_total', { type: 'generate_alerts' })).toBe(1);
      const count = valueOf(exposition, 'nagare_task_duration_seconds_count', { type: 'generate_alerts' });
      expect(count).toBe(1);
      const buckets = find(exposition, 'nagare_task_duration_seconds_bucket', { type: 'generate_alerts' });
      expect(buckets.length).toBeGreaterThan(5);
      expect(buckets.find(({ labels }) => labels.le === '+Inf')?.value).toBe(1);
      const sum = valueOf(exposition, 'nagare_task_duration_seconds_sum', { type: 'generate_alerts' });
      expect(sum).toBeGreaterThanOrEqual(0);
      expect(sum).toBeLessThan(DEADLINE_MS / 1000);
    });

    it('records HTTP durations by route pattern and status, never the raw URL', () => {
      const http = find(exposition, 'nagare_http_request_duration_seconds_count');
      const routes = http.map(({ labels }) => `${labels.method} ${labels.route} ${labels.status}`);
      expect(routes).toEqual(
        expect.arrayContaining([
          'GET /api/v1/monitors/:id 200',
          'GET /api/v1/monitors/:id 404',
          'POST /api/v1/alerts/generate-test-async 202',
          'GET /api/v1/tasks/:task_id 200',
          'GET unmatched 404',
          'GET /health/live 200',
        ]),
      );
      const withRawIds = http
        .map(({ labels }) => labels.route)
        .filter((route) => route.split('/').some((segment) => /^\d+$/.test(segment)));
      expect(withRawIds).toEqual([]);
    });

    it('counts a request under its pattern once per request', async () => {
      const labels = { method: 'GET', route: '/api/v1/monitors/:id', status: '200' };
      const before = valueOf(await scrape(t), 'nagare_http_request_duration_seconds_count', labels) ?? 0;
      await api.get(`/monitors/${monitorId}`);
      await api.get(`/monitors/${monitorId}`);
      expect(valueOf(await scrape(t), 'nagare_http_request_duration_seconds_count', labels)).toBe(before + 2);
    });
  });

  describe('latency, workers and process metrics', () => {
    let worker: TestApp;
    let apiOnly: TestApp;
    let dir: string;
    let database: TestDatabase;

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'nagare-metrics-'));
      database = await createTestDatabase(dir);
      worker = await startTestApp({ DATABASE_URL: database.url });
      // An API process on the same queues and database, running no workers of its own.
      apiOnly = await startTestApp({
        NAGARE_ROLE: 'api',
        QUEUE_PREFIX: worker.config.queue.prefix,
        DATABASE_URL: database.url,
      });
      await seeder(worker).syncedHost((await createMonitor(apiAs(worker, await worker.login()))).id);
    });
    afterAll(async () => {
      await apiOnly?.close();
      await worker?.close();
      await database?.drop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('counts the worker processes taking each type, from Redis', async () => {
      const exposition = await scrape(apiOnly);
      for (const type of TASK_TYPES) expect(valueOf(exposition, 'nagare_queue_workers', { type })).toBe(1);
    });

    it('reports the age of the oldest waiting task of a paused type, and 0 once none waits', async () => {
      const queue = worker.app.get(TaskQueues).of('generate_alerts');
      await queue.pause();
      try {
        const api = apiAs(apiOnly, await apiOnly.login());
        expect((await api.post('/alerts/generate-test-async?count=1')).status).toBe(202);
        await sleep(1200);
        const age = valueOf(await scrape(apiOnly), 'nagare_queue_oldest_waiting_seconds', { type: 'generate_alerts' });
        expect(age).toBeGreaterThanOrEqual(1);
        expect(age).toBeLessThan(DEADLINE_MS / 1000);
        expect(valueOf(await scrape(apiOnly), 'nagare_queue_oldest_waiting_seconds', { type: 'pull_hosts' })).toBe(0);
      } finally {
        await queue.resume();
      }
      const drained = await scrapeUntil(
        apiOnly,
        (e) => valueOf(e, 'nagare_queue_oldest_waiting_seconds', { type: 'generate_alerts' }) === 0,
      );
      expect(valueOf(drained, 'nagare_queue_oldest_waiting_seconds', { type: 'generate_alerts' })).toBe(0);
    });

    it("exports prom-client's process and Node.js metrics (CPU, memory, event-loop lag)", async () => {
      const exposition = await scrape(worker);
      expect(exposition.types.get('process_cpu_seconds_total')).toBe('counter');
      expect(exposition.types.get('process_resident_memory_bytes')).toBe('gauge');
      expect(exposition.types.get('nodejs_eventloop_lag_seconds')).toBe('gauge');
      expect(exposition.types.get('nodejs_heap_size_used_bytes')).toBe('gauge');
      expect(valueOf(exposition, 'process_cpu_seconds_total', {})).toBeGreaterThan(0);
    });
  });

  describe('with metrics.token set', () => {
    const TOKEN = 'metrics-scrape-token-0123456789';
    let t: TestApp;

    beforeAll(async () => {
      t = await startTestApp({ METRICS_TOKEN: TOKEN });
    });
    afterAll(() => t.close());

    it('answers 401 with a Bearer challenge without a token', async () => {
      const res = await request(t.http).get('/metrics');
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toMatch(/^Bearer\b/);
      expect(res.text).not.toContain('nagare_');
    });

    it.each([
      ['a wrong token', `Bearer ${TOKEN}x`],
      ['a prefix of the token', `Bearer ${TOKEN.slice(0, 10)}`],
      ['the token without the Bearer scheme', TOKEN],
      ['a user JWT', 'Bearer eyJhbGciOiJIUzI1NiJ9.e30.x'],
    ])('answers 401 to %s', async (_what, authorization) => {
      const res = await request(t.http).get('/metrics').set('Authorization', authorization);
      expect(res.status).toBe(401);
    });

    it('answers 200 with the metrics to the right token', async () => {
      const exposition = await scrape(t, TOKEN);
      expect(find(exposition, 'nagare_queue_jobs')).toHaveLength(TASK_TYPES.length * 4);
    });
  });

  describe('in production (NODE_ENV=production)', () => {
    const TOKEN = 'production-scrape-token-0123456789';
    let apps: TestApp[] = [];
    afterAll(async () => {
      await Promise.all(apps.map((app) => app.close()));
      apps = [];
    });

    it('refuses an anonymous scrape and answers the metrics token', async () => {
      const t = await startTestApp({ NODE_ENV: 'production', METRICS_TOKEN: TOKEN });
      apps.push(t);
      expect(t.config.production).toBe(true);
      const anonymous = await request(t.http).get('/metrics');
      expect(anonymous.status).toBe(401);
      expect(anonymous.text).not.toContain('nagare_');
      expect(find(await scrape(t, TOKEN), 'nagare_queue_jobs')).toHaveLength(TASK_TYPES.length * 4);
    });

    it('serves anonymous scrapes only when METRICS_PUBLIC=true says so', async () => {
      const t = await startTestApp({ NODE_ENV: 'production', METRICS_PUBLIC: 'true' });
      apps.push(t);
      expect(find(await scrape(t), 'nagare_queue_jobs')).toHaveLength(TASK_TYPES.length * 4);
    });
  });

  describe('while Redis is down', () => {
    let redis: RedisServer;
    let t: TestApp;

    beforeAll(async () => {
      redis = await RedisServer.start();
      t = await startTestApp({ REDIS_URL: redis.url });
      const up = await scrapeUntil(t, (e) => valueOf(e, 'nagare_queue_scrape_ok', {}) === 1);
      expect(valueOf(up, 'nagare_queue_scrape_ok', {})).toBe(1);
      await redis.stop();
    });
    afterAll(async () => {
      await t.close();
      await redis.destroy();
    });

    it('answers in bounded time (a 1 s wait for Redis), without queue gauges and with nagare_queue_scrape_ok 0', async () => {
      const started = Date.now();
      const exposition = await scrape(t);
      const elapsedMs = Date.now() - started;
      expect({
        fast: elapsedMs < 3000,
        ok: valueOf(exposition, 'nagare_queue_scrape_ok', {}),
        gauges: find(exposition, 'nagare_queue_jobs'),
        http: find(exposition, 'nagare_http_request_duration_seconds_count').length > 0,
      }).toEqual({ fast: true, ok: 0, gauges: [], http: true });
    });
  });
});
