import { jest } from '@jest/globals';
import type { Queue } from 'bull';
import request from 'supertest';
import {
  type Api,
  apiAs,
  createMonitor,
  seeder,
  tokenWithPrivilege,
  unreachableUrl,
} from './support/inventory-factory';
import { bullQueue, type DeadLetterJson, queueDetail, taskIdPattern, waitForTask } from './support/queue-helpers';
import { startTestApp, type TestApp } from './support/test-app';
import { ZabbixInventoryFixture } from './support/zabbix-inventory-fixture';
import { ISO_DATE } from './support/time';
import { TASK_TYPES } from '../src/common/task-type-names';

jest.setTimeout(60_000);

const REFUSED = 'Monitor unreachable: connect ECONNREFUSED <addr> (apiinfo.version)';
const INVALID_PAYLOAD = 'pull_hosts payload: monitor_id must be a positive integer';

interface ReasonJson {
  reason: string;
  count: number;
  by_type: Record<string, number>;
  example: string;
  oldest_failed_at: string;
  newest_failed_at: string;
}

interface SummaryJson {
  total: number;
  by_type: Record<string, number>;
  by_reason: ReasonJson[];
  oldest_failed_at: string | null;
  newest_failed_at: string | null;
}

const zeroByType = () => Object.fromEntries(TASK_TYPES.map((type) => [type, 0]));

/**
 * Dead-letter analysis and bulk recovery, on dead letters made by real failures: monitors nothing listens for,
 * and payloads no processor accepts. No retries (TASK_MAX_RETRIES=0), so each failure is dead after one attempt.
 */
describe('dead-letter summary and bulk retry (e2e)', () => {
  let t: TestApp;
  let token: string;
  let api: Api;
  let fixture: ZabbixInventoryFixture;
  let pullHosts: Queue;
  const refusedMonitors: number[] = [];
  let itemsTask: string;
  let invalidTask: string;

  beforeAll(async () => {
    t = await startTestApp({ TASK_MAX_RETRIES: '0', TASK_BACKOFF_MS: '50' });
    token = await t.login();
    api = apiAs(t, token);
    fixture = await ZabbixInventoryFixture.start(3, 1);
    pullHosts = bullQueue(process.env.NAGARE_TEST_REDIS_URL as string, t.config.queue.prefix, 'pull_hosts');
  });
  afterAll(async () => {
    await pullHosts?.close();
    await t?.close();
    await fixture?.close();
  });

  async function summary(client: Api = api): Promise<SummaryJson> {
    const res = await client.get('/queue/dead/summary');
    expect(res.status).toBe(200);
    return res.body as SummaryJson;
  }

  async function queued(path: string): Promise<string> {
    const res = await api.post(path);
    expect(res.status).toBe(202);
    return res.body.task_id as string;
  }

  it('summarises no dead letters as zeros for every type, no reasons and no times', async () => {
    expect(await summary()).toEqual({
      total: 0,
      by_type: zeroByType(),
      by_reason: [],
      oldest_failed_at: null,
      newest_failed_at: null,
    });
  });

  it('counts real dead letters by type and by reason, with ports and ids masked', async () => {
    // Two monitors refusing connections on two different ports: one reason.
    for (let i = 0; i < 2; i++) {
      const monitor = await createMonitor(api, { url: await unreachableUrl(), password: fixture.password });
      refusedMonitors.push(monitor.id);
      await waitForTask(t.http, token, await queued(`/monitors/${monitor.id}/hosts/pull-async`), 'dead');
    }
    // The same reason on another type.
    const host = await seeder(t).syncedHost(refusedMonitors[0]);
    itemsTask = await queued(`/monitors/${refusedMonitors[0]}/hosts/${host.id}/items/pull-async`);
    await waitForTask(t.http, token, itemsTask, 'dead');
    // Another reason: a payload no processor accepts.
    const job = await pullHosts.add({ type: 'pull_hosts', params: { monitor_id: 'seven' } }, { attempts: 1 });
    invalidTask = `pull_hosts:${job.id}`;
    await waitForTask(t.http, token, invalidTask, 'dead');

    const letters = (await api.get('/queue/dead')).body.items as DeadLetterJson[];
    expect(letters).toHaveLength(4);
    const times = letters.map((letter) => letter.failed_at).sort();

    const result = await summary();
    expect(result).toEqual({
      total: 4,
      by_type: { ...zeroByType(), pull_hosts: 3, pull_items: 1 },
      by_reason: [
        {
          reason: REFUSED,
          count: 3,
          by_type: { pull_hosts: 2, pull_items: 1 },
          example: expect.stringMatching(
            /^Monitor unreachable: connect ECONNREFUSED 127\.0\.0\.1:\d+ \(apiinfo\.version\)$/,
          ),
          oldest_failed_at: times[0],
          newest_failed_at: expect.stringMatching(ISO_DATE),
        },
        {
          reason: INVALID_PAYLOAD,
          count: 1,
          by_type: { pull_hosts: 1 },
          example: INVALID_PAYLOAD,
          oldest_failed_at: expect.stringMatching(ISO_DATE),
          newest_failed_at: expect.stringMatching(ISO_DATE),
        },
      ],
      oldest_failed_at: times[0],
      newest_failed_at: times[times.length - 1],
    });
    // Two different ports, one reason: the raw errors differ.
    const refused = letters.filter((letter) => letter.error.includes('ECONNREFUSED'));
    expect(new Set(refused.map((letter) => letter.error)).size).toBeGreaterThan(1);
  });

  it('is not taken for a dead letter by GET /queue/dead/:task_id, nor the bulk retry for a single one', async () => {
    // Registered before the :task_id routes: a task id route would answer 400 (not <type>:<number>) or 404.
    const res = await api.get('/queue/dead/summary');
    expect(res.status).toBe(200);
    expect(res.body).toHaveProperty('by_reason');
    const retry = await api.post('/queue/dead/retry', { type: 'push_item' });
    expect(retry.status).toBe(202);
    expect(retry.body).toEqual({ retried: 0, tasks: [], failed: [], skipped: [], remaining: 0 });
    // The single-letter routes still work beside them.
    expect((await api.get(`/queue/dead/${invalidTask}`)).status).toBe(200);
    expect((await api.get('/queue/dead/pull_hosts:999999')).status).toBe(404);
  });

  it('refuses a bulk retry without a filter or with a bad one: 400 naming the field', async () => {
    const cases: [object | undefined, RegExp][] = [
      [undefined, /type or reason is required/],
      [{}, /type or reason is required/],
      [{ type: 'no_such_type' }, /type must be one of: pull_hosts/],
      [{ reason: '' }, /reason should not be empty/],
      [{ reason: 42 }, /reason must be a string/],
      [{ type: 'pull_hosts', limit: 0 }, /limit must not be less than 1/],
      [{ type: 'pull_hosts', limit: 'all' }, /limit must be an integer/],
      [{ type: 'pull_hosts', surprise: true }, /property surprise should not exist/],
    ];
    for (const [body, message] of cases) {
      const res = await api.post('/queue/dead/retry', body);
      expect({ body, status: res.status, message: JSON.stringify(res.body.message) }).toEqual({
        body,
        status: 400,
        message: expect.stringMatching(message),
      });
    }
    expect((await summary()).total).toBe(4);
  });

  it('lets privilege 1 read the summary but not retry (403); 401 without a token', async () => {
    const reader = apiAs(t, await tokenWithPrivilege(t, api, 1));
    expect((await summary(reader)).total).toBe(4);
    expect((await reader.post('/queue/dead/retry', { type: 'pull_hosts' })).status).toBe(403);
    expect((await request(t.http).get('/api/v1/queue/dead/summary')).status).toBe(401);
    expect((await request(t.http).post('/api/v1/queue/dead/retry').send({ type: 'pull_hosts' })).status).toBe(401);
    expect((await summary()).total).toBe(4);
  });

  it('retries by type and reason, oldest first up to the limit, as new tasks that run', async () => {
    // Fix the monitors: the retried pulls now succeed.
    for (const id of refusedMonitors) {
      expect(
        (await api.patch(`/monitors/${id}`, { url: fixture.url, username: 'Admin', password: fixture.password }))
          .status,
      ).toBe(200);
    }
    const oldestFirst = ((await api.get('/queue/dead', { type: 'pull_hosts' })).body.items as DeadLetterJson[])
      .filter((letter) => letter.error.includes('ECONNREFUSED'))
      .reverse();
    expect(oldestFirst).toHaveLength(2);

    const first = await api.post('/queue/dead/retry', { type: 'pull_hosts', reason: REFUSED, limit: 1 });
    expect(first.status).toBe(202);
    expect(first.body).toEqual({
      retried: 1,
      tasks: [
        {
          task_id: expect.stringMatching(taskIdPattern('pull_hosts')),
          retried_from: oldestFirst[0].task_id,
          deduplicated: false,
        },
      ],
      failed: [],
      skipped: [],
      remaining: 1,
    });
    const rest = await api.post('/queue/dead/retry', { type: 'pull_hosts', reason: REFUSED });
    expect(rest.body).toMatchObject({ retried: 1, tasks: [{ retried_from: oldestFirst[1].task_id }], remaining: 0 });

    for (const res of [first, rest]) {
      const task = await waitForTask(t.http, token, res.body.tasks[0].task_id, ['completed', 'dead']);
      expect(task).toMatchObject({ state: 'completed', result: expect.objectContaining({ added: 3 }) });
    }
    for (const letter of oldestFirst) expect((await api.get(`/queue/dead/${letter.task_id}`)).status).toBe(404);

    // The pull_items letter of that reason, and the other reason, are still there.
    const after = await summary();
    expect(after).toMatchObject({
      total: 2,
      by_type: { ...zeroByType(), pull_hosts: 1, pull_items: 1 },
      // A tie: by reason.
      by_reason: [
        { reason: REFUSED, count: 1, by_type: { pull_items: 1 } },
        { reason: INVALID_PAYLOAD, count: 1 },
      ],
    });
  });

  it('retries by reason alone across types, and by type alone', async () => {
    const byReason = await api.post('/queue/dead/retry', { reason: REFUSED });
    expect(byReason.status).toBe(202);
    expect(byReason.body).toMatchObject({ retried: 1, tasks: [{ retried_from: itemsTask }], remaining: 0 });
    const retried = await waitForTask(t.http, token, byReason.body.tasks[0].task_id, ['completed', 'dead']);
    expect(retried.type).toBe('pull_items');

    // A payload no processor accepts dies again, as a new letter with the same reason.
    const byType = await api.post('/queue/dead/retry', { type: 'pull_hosts' });
    expect(byType.body).toMatchObject({ retried: 1, tasks: [{ retried_from: invalidTask }] });
    await waitForTask(t.http, token, byType.body.tasks[0].task_id, 'dead');
    const after = await summary();
    expect(after).toMatchObject({ total: 1, by_reason: [{ reason: INVALID_PAYLOAD, count: 1 }] });
    expect((await queueDetail(t.http, token)).dead).toBe(1);
  });

  it('retries each letter once when two bulk retries of the same letters race', async () => {
    const alerts = bullQueue(process.env.NAGARE_TEST_REDIS_URL as string, t.config.queue.prefix, 'generate_alerts');
    try {
      const letters: string[] = [];
      for (let i = 0; i < 6; i++) {
        const job = await alerts.add({ type: 'generate_alerts', params: { count: 'many' } }, { attempts: 1 });
        letters.push(`generate_alerts:${job.id}`);
      }
      for (const taskId of letters) await waitForTask(t.http, token, taskId, 'dead');
      await alerts.pause(); // globally: the retried tasks stay queued, to be counted

      const [a, b] = await Promise.all([
        api.post('/queue/dead/retry', { type: 'generate_alerts' }),
        api.post('/queue/dead/retry', { type: 'generate_alerts' }),
      ]);
      expect([a.status, b.status]).toEqual([202, 202]);
      const retried = [...a.body.tasks, ...b.body.tasks] as { task_id: string; retried_from: string }[];
      expect(retried.map((task) => task.retried_from).sort()).toEqual([...letters].sort());
      expect(new Set(retried.map((task) => task.task_id)).size).toBe(6);
      expect(a.body.retried + b.body.retried).toBe(6);
      const detail = await queueDetail(t.http, token);
      expect(detail.queues.generate_alerts.paused + detail.queues.generate_alerts.waiting).toBe(6);
      expect((await summary()).by_type.generate_alerts).toBe(0);
    } finally {
      await alerts.resume();
      await alerts.close();
    }
  });
});
