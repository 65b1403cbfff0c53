import { jest } from '@jest/globals';
import request from 'supertest';
import { apiAs, createMonitor, seeder, unreachableUrl } from './support/inventory-factory';
import { waitForReady } from './support/readiness';
import { RedisServer } from './support/redis-server';
import { startTestApp, type TestApp } from './support/test-app';

jest.setTimeout(120_000);

/** The promise: every route that needs Redis answers 503 within 2 s while Redis is down or stalled. */
const DEADLINE_MS = 2000;

/**
 * The rule that picks the routes that touch Redis, from the OpenAPI document alone: whatever lives under the
 * queue, the tasks (and their events), the probes, an async route or a dead-letter list, and whatever declares
 * a 503. A new route there is walked without anyone adding it here.
 */
const REDIS_PATH = /^\/api\/v1\/(queue|tasks)\/|-async$|\/dead(\/|$)|^\/health\//;

/** Routes the rule picks that must not answer 503 with Redis down, and what they answer instead. */
const NOT_REDIS_BOUND: Record<string, number> = {
  // Liveness must not restart a pod because Redis is away.
  'GET /health/live': 200,
};

/**
 * Optional query parameters a route needs to reach Redis at all: a DELETE of a host or item on a monitor queues its
 * deletion there only with on_monitor=true (without it: 409, and Redis is never asked).
 */
const QUERIES: Record<string, Record<string, string>> = {
  'DELETE /api/v1/hosts/{id}': { on_monitor: 'true' },
  'DELETE /api/v1/items/{id}': { on_monitor: 'true' },
};

/** Plausible request bodies by schema, so a route gets past validation to Redis; absent: `{}`. */
const BODIES: Record<string, object> = { BulkRetryBody: { type: 'pull_hosts' } };

interface Operation {
  parameters?: Array<{ name: string; in: string; required?: boolean }>;
  requestBody?: { content?: Record<string, { schema?: { $ref?: string } }> };
  responses: Record<string, unknown>;
}

interface Route {
  name: string;
  method: string;
  path: string;
  operation: Operation;
}

function redisRoutes(doc: { paths: Record<string, Record<string, Operation>> }): Route[] {
  return Object.entries(doc.paths).flatMap(([path, byMethod]) =>
    Object.entries(byMethod)
      .filter(([, operation]) => REDIS_PATH.test(path) || '503' in operation.responses)
      .map(([method, operation]) => ({ name: `${method.toUpperCase()} ${path}`, method, path, operation })),
  );
}

interface Answer {
  route: string;
  status: number;
  /** Within the deadline. */
  fast: boolean;
  /** The body says Redis is what is missing. */
  namesRedis: boolean;
}

describe('routes that touch Redis, with Redis down or stalled (e2e)', () => {
  let redis: RedisServer;
  let t: TestApp;
  let token: string;
  let routes: Route[];
  const ids: Record<string, string> = { task_id: 'pull_hosts:1', type: 'pull_hosts' };

  beforeAll(async () => {
    redis = await RedisServer.start();
    t = await startTestApp({ REDIS_URL: redis.url, NAGARE_ROLE: 'api' });
    token = await t.login();
    const monitorId = (await createMonitor(apiAs(t, token), { url: await unreachableUrl() })).id;
    const host = await seeder(t).syncedHost(monitorId);
    const item = await seeder(t).syncedItem(host);
    Object.assign(ids, { id: String(monitorId), hid: String(host.id), iid: String(item.id) });
    routes = redisRoutes((await request(t.http).get('/docs-json')).body);
  });
  afterAll(async () => {
    if (redis?.pid !== undefined) process.kill(redis.pid, 'SIGCONT');
    // A test that failed while Redis was stopped leaves it stopped; the app closes faster with it back.
    if (redis && redis.pid === undefined) await redis.resume().catch(() => undefined);
    await t?.close();
    await redis?.destroy();
  });

  /** Calls the route as a client would: a valid token, the seeded ids, the required query, a plausible body. */
  async function call({ name, method, path, operation }: Route): Promise<Answer> {
    const url = path.replace(/\{(\w+)\}/g, (_, param: string) => {
      if (!(param in ids)) throw new Error(`${name}: no plausible value for path parameter ${param}`);
      return ids[param];
    });
    const query = {
      ...Object.fromEntries(
        (operation.parameters ?? [])
          .filter((parameter) => parameter.in === 'query' && parameter.required)
          .map((parameter) => [parameter.name, '1']),
      ),
      ...QUERIES[name],
    };
    const schema = operation.requestBody?.content?.['application/json']?.schema?.$ref?.split('/').pop();
    const verb = method as 'get' | 'post' | 'patch' | 'delete';
    const started = performance.now();
    let pending = request(t.http)[verb](url).query(query).set('Authorization', `Bearer ${token}`);
    if (operation.requestBody) pending = pending.send(BODIES[schema ?? ''] ?? {});
    const res = await pending;
    const fast = performance.now() - started < DEADLINE_MS;
    const namesRedis = /redis/i.test(res.body?.message ?? '') || res.body?.error?.redis?.status === 'down';
    return { route: name, status: res.status, fast, namesRedis };
  }

  async function walk(): Promise<Answer[]> {
    const answers: Answer[] = [];
    for (const route of routes) answers.push(await call(route));
    return answers;
  }

  /** Each picked route answers 503 naming Redis within the deadline; the exceptions their own status. */
  function expectHonest(answers: Answer[]): void {
    expect(answers).toEqual(
      answers.map(({ route }) =>
        route in NOT_REDIS_BOUND
          ? { route, status: NOT_REDIS_BOUND[route], fast: true, namesRedis: false }
          : { route, status: 503, fast: true, namesRedis: true },
      ),
    );
  }

  it('picks every dead-letter, queue, task, async and probe route from the document (so an empty walk cannot pass)', () => {
    expect(routes.map(({ name }) => name)).toEqual(
      expect.arrayContaining([
        'GET /api/v1/queue/dead',
        'GET /api/v1/queue/dead/summary',
        'GET /api/v1/queue/dead/{task_id}',
        'DELETE /api/v1/queue/dead',
        'DELETE /api/v1/queue/dead/{task_id}',
        'POST /api/v1/queue/dead/retry',
        'POST /api/v1/queue/dead/{task_id}/retry',
        'GET /api/v1/queue/stats',
        'GET /api/v1/tasks/{task_id}/events',
        'POST /api/v1/monitors/{id}/hosts/pull-async',
        'POST /api/v1/alerts/generate-test-async',
        'GET /health/ready',
      ]),
    );
  });

  it('documents the 503 on every route it picks but liveness', () => {
    const undocumented = routes
      .filter(({ name, operation }) => !(name in NOT_REDIS_BOUND) && !('503' in operation.responses))
      .map(({ name }) => name);
    expect(undocumented).toEqual([]);
  });

  it('answers every such route 503 naming Redis within 2 s while Redis is down (liveness 200)', async () => {
    await redis.stop();
    await waitForReady(t, 503);
    expectHonest(await walk());
    await redis.resume();
    await waitForReady(t, 200);
  });

  it('answers every such route 503 naming Redis within 2 s while Redis is stalled (liveness 200)', async () => {
    // Stopped, not killed: the connections stay open and every command waits for an answer that does not come.
    process.kill(redis.pid!, 'SIGSTOP');
    try {
      expectHonest(await walk());
    } finally {
      process.kill(redis.pid!, 'SIGCONT');
    }
    await waitForReady(t, 200);
  });
});
