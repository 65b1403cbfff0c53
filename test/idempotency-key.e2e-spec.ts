import { jest } from '@jest/globals';
import type { Queue } from 'bull';
import Redis from 'ioredis';
import request from 'supertest';
import { Alert } from '../src/alerts/entities/alert.entity';
import { IdempotencyRecords } from '../src/queue/idempotency/idempotency-records';
import { requestFingerprint } from '../src/queue/idempotency/idempotency-key';
import {
  API,
  apiAs,
  createMonitor,
  seeder,
  tokenWithPrivilege,
  unique,
  unreachableUrl,
} from './support/inventory-factory';
import { bullQueue, waitForTask } from './support/queue-helpers';
import { RedisServer } from './support/redis-server';
import { DocumentedResponses } from './support/documented-responses';
import { startTestApp, type TestApp } from './support/test-app';
import { sleep } from './support/time';

jest.setTimeout(120_000);

const GENERATE = '/alerts/generate-test-async';

/** POST to an async route as `token`, with `key` as Idempotency-Key when given. */
function post(t: TestApp, token: string, path: string, key?: string, body: object = {}) {
  const pending = request(t.http).post(`${API}${path}`).set('Authorization', `Bearer ${token}`);
  return (key === undefined ? pending : pending.set('Idempotency-Key', key)).send(body);
}

describe('Idempotency-Key on the async routes (e2e)', () => {
  // The API role alone: no worker takes the tasks, so every job added stays in Redis to be counted.
  let t: TestApp;
  let documented: DocumentedResponses;
  let token: string;
  let alerts: Queue;
  let monitorId: number;

  beforeAll(async () => {
    t = await startTestApp({ NAGARE_ROLE: 'api' });
    documented = await DocumentedResponses.watch(t.http);
    token = await t.login();
    expect((await apiAs(t, token).post('/hosts', { name: `host-${unique()}` })).status).toBe(201);
    monitorId = (await createMonitor(apiAs(t, token), { url: await unreachableUrl() })).id;
    const redisUrl = process.env.NAGARE_TEST_REDIS_URL as string;
    alerts = bullQueue(redisUrl, t.config.queue.prefix, 'generate_alerts');
  });
  afterAll(async () => {
    await alerts?.close();
    await t?.close();
  });

  const jobCount = async (queue: Queue) => (await queue.getJobs(['waiting', 'active', 'completed'])).length;

  it('answers a repeat of the same request with the same task, marked Idempotent-Replayed, and queues it once', async () => {
    const before = await jobCount(alerts);
    const key = `key-${unique()}`;
    const first = await post(t, token, `${GENERATE}?count=2`, key);
    const again = await post(t, token, `${GENERATE}?count=2`, key);
    expect(first.status).toBe(202);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    expect(again.status).toBe(202);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body.task_id).toBe(first.body.task_id);
    expect(await jobCount(alerts)).toBe(before + 1);
    // Without a key, each request is its own task, as before.
    const plain = [await post(t, token, `${GENERATE}?count=2`), await post(t, token, `${GENERATE}?count=2`)];
    expect(new Set(plain.map((res) => res.body.task_id)).size).toBe(2);
  });

  it('returns the same task for a deduplicated sync type too', async () => {
    const key = `key-${unique()}`;
    const first = await post(t, token, `/monitors/${monitorId}/hosts/pull-async`, key);
    const again = await post(t, token, `/monitors/${monitorId}/hosts/pull-async`, key);
    expect(first.status).toBe(202);
    expect(again.status).toBe(202);
    expect(again.body.task_id).toBe(first.body.task_id);
    expect(again.headers['idempotent-replayed']).toBe('true');
  });

  it('answers 422 for the same key with another path, query or body, and queues nothing', async () => {
    const key = `key-${unique()}`;
    expect((await post(t, token, `${GENERATE}?count=1`, key)).status).toBe(202);
    const before = await jobCount(alerts);
    const others = [
      await post(t, token, `${GENERATE}?count=3`, key),
      await post(t, token, `${GENERATE}?count=1`, key, { callback_url: 'https://hooks.example.com/x' }),
      await post(t, token, `/monitors/${monitorId}/hosts/pull-async`, key),
    ];
    for (const res of others) {
      expect(res.status).toBe(422);
      expect(res.body.message).toMatch(/Idempotency-Key/);
    }
    expect(await jobCount(alerts)).toBe(before);
  });

  it('keeps keys per user: the same key from another user is another task', async () => {
    const other = await tokenWithPrivilege(t, apiAs(t, token), 2);
    const key = `key-${unique()}`;
    const mine = await post(t, token, `${GENERATE}?count=1`, key);
    const theirs = await post(t, other, `${GENERATE}?count=1`, key);
    expect(theirs.status).toBe(202);
    expect(theirs.headers['idempotent-replayed']).toBeUndefined();
    expect(theirs.body.task_id).not.toBe(mine.body.task_id);
  });

  it.each([
    ['empty', ''],
    ['longer than 255 characters', 'k'.repeat(256)],
  ])('answers 400 naming the header for a key that is %s', async (_what, key) => {
    const before = await jobCount(alerts);
    const res = await post(t, token, `${GENERATE}?count=1`, key);
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(/Idempotency-Key/);
    expect(await jobCount(alerts)).toBe(before);
  });

  it('is documented on every async route: the header, its 400 and 422, and Idempotent-Replayed on the 202', async () => {
    const doc = (await request(t.http).get('/docs-json')).body as {
      paths: Record<string, Record<string, { parameters?: { name: string; in: string }[]; responses: object }>>;
    };
    const asyncRoutes = Object.entries(doc.paths).filter(([path]) => path.endsWith('-async'));
    expect(asyncRoutes.length).toBe(8);
    for (const [, { post: operation }] of asyncRoutes) {
      expect(operation.parameters).toContainEqual(
        expect.objectContaining({ name: 'Idempotency-Key', in: 'header', required: false }),
      );
      expect(operation.responses).toMatchObject({
        '202': { headers: { 'Idempotent-Replayed': expect.any(Object) } },
        '400': expect.any(Object),
        '422': expect.any(Object),
        '503': { description: expect.stringMatching(/Idempotency-Key/) },
      });
    }
  });

  it('adds the job under the bound id when an earlier attempt bound the key but its add never landed', async () => {
    // What a Redis that died between the two steps leaves: the key bound to a task id, and no such job.
    const key = `key-${unique()}`;
    const admin = (await request(t.http).get(`${API}/auth/me`).set('Authorization', `Bearer ${token}`)).body;
    const fingerprint = requestFingerprint({
      method: 'POST',
      path: `${API}${GENERATE}`,
      query: { count: '4' },
      body: {},
    });
    const bound = await t.app
      .get(IdempotencyRecords)
      .reserve({ userId: admin.id, key, fingerprint }, 'generate_alerts');
    const jobId = bound.taskId.split(':')[1];
    expect(await alerts.getJob(jobId)).toBeNull();

    const retry = await post(t, token, `${GENERATE}?count=4`, key);
    expect(retry.status).toBe(202);
    expect(retry.body.task_id).toBe(bound.taskId);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect((await alerts.getJob(jobId))?.data).toMatchObject({ type: 'generate_alerts', params: { count: 4 } });
    // A job that other requests queued meanwhile never takes the bound id.
    const later = await post(t, token, `${GENERATE}?count=4`);
    expect(Number(later.body.task_id.split(':')[1])).toBeGreaterThan(Number(jobId));
  });

  it('answered every request of this suite with a status and a body its OpenAPI document gives', () => {
    expect(documented.checked).toBeGreaterThan(5);
    expect(documented.problems()).toEqual([]);
  });
});

describe('Idempotency-Key across a Redis stall mid-burst (e2e)', () => {
  const REQUESTS = 16;
  let redis: RedisServer;
  let admin: Redis;
  let t: TestApp;
  let token: string;

  beforeAll(async () => {
    redis = await RedisServer.start();
    admin = new Redis(redis.url);
    t = await startTestApp({ REDIS_URL: redis.url });
    token = await t.login();
    expect((await apiAs(t, token).post('/hosts', { name: `host-${unique()}` })).status).toBe(201);
  });
  afterAll(async () => {
    await admin?.call('CLIENT', 'UNPAUSE').catch(() => undefined);
    admin?.disconnect();
    await t?.close();
    await redis?.destroy();
  });

  it('runs each keyed request exactly once when every 503 is retried with its key', async () => {
    const keys = Array.from({ length: REQUESTS }, () => `burst-${unique()}`);
    const answers = new Map<string, request.Response>();
    const burst = keys.map(async (key, index) => {
      await sleep(index * 40);
      answers.set(key, await post(t, token, `${GENERATE}?count=1`, key));
    });
    // Writes stall a few requests in: those then answer 503 within the bound, while their work waits in Redis.
    await sleep(5 * 40);
    await admin.call('CLIENT', 'PAUSE', '4000', 'WRITE');
    await Promise.all(burst);
    const refused = keys.filter((key) => answers.get(key)?.status === 503);
    expect(refused.length).toBeGreaterThan(0);
    expect(keys.filter((key) => ![202, 503].includes(answers.get(key)!.status))).toEqual([]);

    await sleep(4500);
    for (const key of refused) {
      for (let attempt = 0; answers.get(key)!.status !== 202 && attempt < 20; attempt++) {
        answers.set(key, await post(t, token, `${GENERATE}?count=1`, key));
        if (answers.get(key)!.status !== 202) await sleep(250);
      }
      expect(answers.get(key)!.status).toBe(202);
      expect(answers.get(key)!.headers['idempotent-replayed']).toBe('true');
    }

    const taskIds = keys.map((key) => answers.get(key)!.body.task_id as string);
    expect(new Set(taskIds).size).toBe(REQUESTS);
    for (const taskId of taskIds) await waitForTask(t.http, token, taskId, 'completed', 30_000);
    // Let any second copy a retry might have queued run too, so that it would be counted.
    await sleep(1000);
    const jobKeys = await admin.keys(`${t.config.queue.prefix}:generate_alerts:[0-9]*`);
    expect(jobKeys.filter((name) => /:\d+$/.test(name))).toHaveLength(REQUESTS);
    expect(await seeder(t).data.getRepository(Alert).count()).toBe(REQUESTS);
  });
});
