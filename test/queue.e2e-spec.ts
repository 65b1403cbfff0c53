import { jest } from '@jest/globals';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { Host } from '../src/monitors/entities/host.entity';
import { Item } from '../src/monitors/entities/item.entity';
import {
  type Api,
  apiAs,
  createHost,
  createItem,
  createMonitor,
  seeder,
  tokenWithPrivilege,
  unreachableUrl,
} from './support/inventory-factory';
import {
  bullQueue,
  jobTotal,
  queueDetail,
  queueStats,
  type SharedQueue,
  sharedQueue,
  stateSequence,
  type TaskJson,
  type TaskTypeName,
  taskIdPattern,
  waitForTask,
  watchTask,
  workerLines,
} from './support/queue-helpers';
import { RedisServer } from './support/redis-server';
import { DocumentedResponses } from './support/documented-responses';
import { startTestApp, type TestApp } from './support/test-app';
import { fakeItem } from './support/zabbix';
import { ZabbixInventoryFixture } from './support/zabbix-inventory-fixture';
import { acceptPushes, SlowZabbixProxy } from './support/zabbix-fakes';
import { ISO_DATE, sleep } from './support/time';
import { TASK_TYPES } from '../src/common/task-type-names';

jest.setTimeout(60_000);

/** The 202 body of every async endpoint: the guide's message, the new task and the ids it carries. */
function queued(message: string, type: TaskTypeName, ids: Record<string, number>) {
  return { message, task_id: expect.stringMatching(taskIdPattern(type)), ...ids };
}

/** A task's timestamps are ISO dates in the order created ≤ started ≤ finished. */
function expectOrderedTimestamps(task: TaskJson): void {
  expect(task.created_at).toMatch(ISO_DATE);
  expect(task.started_at).toMatch(ISO_DATE);
  expect(task.finished_at).toMatch(ISO_DATE);
  const [created, started, finished] = [task.created_at, task.started_at, task.finished_at].map((at) =>
    Date.parse(at!),
  );
  expect(created).toBeLessThanOrEqual(started);
  expect(started).toBeLessThanOrEqual(finished);
}

describe('task queue (e2e)', () => {
  describe('on a service that runs its own workers (role all)', () => {
    let t: TestApp;
    let documented: DocumentedResponses;
    let token: string;
    let api: Api;
    let fixture: ZabbixInventoryFixture;
    let monitorId: number;
    let seed: ReturnType<typeof seeder>;

    /** Queues a task over HTTP (202), waits for it to complete and returns its status. */
    async function runTask(path: string, type: TaskTypeName): Promise<TaskJson> {
      const res = await api.post(path);
      expect(res.status).toBe(202);
      expect(res.body.task_id).toMatch(taskIdPattern(type));
      return waitForTask(t.http, token, res.body.task_id, ['completed', 'dead'], 15_000);
    }

    /** The status of a completed task with its params and result, attempted once. */
    function completed(task: TaskJson, type: TaskTypeName, params: object, result: object): void {
      expect(task).toEqual({
        task_id: expect.stringMatching(taskIdPattern(type)),
        type,
        state: 'completed',
        progress: 100,
        attempts_made: 1,
        max_attempts: 4,
        params,
        result,
        error: null,
        created_at: expect.any(String),
        started_at: expect.any(String),
        finished_at: expect.any(String),
      });
      expectOrderedTimestamps(task);
    }

    const host = (externalId: string) => seed.hosts.findOneByOrFail({ monitorId, externalId });
    const item = (externalId: string) => seed.items.findOneByOrFail({ externalId });

    beforeAll(async () => {
      t = await startTestApp({ TASK_BACKOFF_MS: '50' });
      documented = await DocumentedResponses.watch(t.http);
      token = await t.login();
      api = apiAs(t, token);
      seed = seeder(t);
      fixture = await ZabbixInventoryFixture.start(3, 2);
      acceptPushes(fixture);
      monitorId = (await createMonitor(api, { url: fixture.url, password: fixture.password })).id;
    });
    afterAll(async () => {
      await t?.close();
      await fixture?.close();
    });

    describe('each sync task type, queued over HTTP and run by the worker', () => {
      it('pull_hosts: the monitor’s hosts and items land in the database, progress 100, result with counts', async () => {
        const task = await runTask(`/monitors/${monitorId}/hosts/pull-async`, 'pull_hosts');
        completed(
          task,
          'pull_hosts',
          { monitor_id: monitorId },
          {
            added: 3,
            updated: 0,
            unchanged: 0,
            vanished: 0,
            failed: 0,
            total: 3,
            items: { added: 6, updated: 0, unchanged: 0, vanished: 0, failed: 0, total: 6, unsupported: 0 },
          },
        );
        expect(await seed.hosts.countBy({ monitorId })).toBe(3);
        expect((await host('20001')).name).toBe('Host 20001');
        expect(await seed.items.countBy({ hostId: (await host('20000')).id })).toBe(2);
      });

      it('pull_items: an item added on the monitor appears on the host', async () => {
        fixture.items.set('1999999', fakeItem('1999999', '20000', { name: 'added on the monitor' }));
        const { id: hostId } = await host('20000');
        const task = await runTask(`/monitors/${monitorId}/hosts/${hostId}/items/pull-async`, 'pull_items');
        completed(
          task,
          'pull_items',
          { monitor_id: monitorId, host_id: hostId },
          { added: 1, updated: 0, unchanged: 2, vanished: 0, failed: 0, total: 3, unsupported: 0 },
        );
        expect(await item('1999999')).toMatchObject({ hostId, name: 'added on the monitor' });
      });

      it('pull_host: a host renamed on the monitor is renamed locally', async () => {
        fixture.hosts.get('20001')!.name = 'renamed on the monitor';
        const { id: hostId } = await host('20001');
        const task = await runTask(`/monitors/${monitorId}/hosts/${hostId}/pull-async`, 'pull_host');
        completed(
          task,
          'pull_host',
          { monitor_id: monitorId, host_id: hostId },
          { added: 0, updated: 1, unchanged: 0, vanished: 0, failed: 0, total: 1 },
        );
        expect((await host('20001')).name).toBe('renamed on the monitor');
      });

      it('pull_item: an item changed on the monitor is changed locally', async () => {
        Object.assign(fixture.items.get('1000002')!, {
          name: 'renamed item',
          lastvalue: '42',
          lastclock: '1700000000',
        });
        const { id: hostId } = await host('20001');
        const { id: itemId } = await item('1000002');
        const task = await runTask(`/monitors/${monitorId}/hosts/${hostId}/items/${itemId}/pull-async`, 'pull_item');
        completed(
          task,
          'pull_item',
          { monitor_id: monitorId, host_id: hostId, item_id: itemId },
          { added: 0, updated: 1, unchanged: 0, vanished: 0, failed: 0, total: 1, unsupported: 0 },
        );
        expect(await item('1000002')).toMatchObject({ name: 'renamed item', lastValue: '42' });
      });

      it('push_host then push_item: the monitor is sent host.create and item.create, and the local ids are kept', async () => {
        const local = await createHost(api, { name: 'pushed from nagare', ip_addr: '127.0.2.10' });
        const hostTask = await runTask(`/monitors/${monitorId}/hosts/${local.id}/push-async`, 'push_host');
        completed(
          hostTask,
          'push_host',
          { monitor_id: monitorId, host_id: local.id },
          { added: 1, updated: 0, unchanged: 0, vanished: 0, failed: 0, total: 1 },
        );
        const [groupCreate] = fixture.fake.calls('hostgroup.create');
        expect(groupCreate.params).toEqual({ name: 'Nagare' });
        const [hostCreate] = fixture.fake.calls('host.create');
        expect(fixture.fake.calls('host.create')).toHaveLength(1);
        expect(hostCreate.params).toEqual({
          host: 'pushed from nagare',
          name: 'pushed from nagare',
          description: '',
          status: 0,
          interfaces: [{ type: 1, main: 1, port: '10050', useip: 1, ip: '127.0.2.10', dns: '' }],
          groups: [{ groupid: expect.stringMatching(/^\d+$/) }],
        });
        const pushed = await seed.hosts.findOneByOrFail({ id: local.id });
        expect(pushed).toMatchObject({ monitorId, externalId: expect.stringMatching(/^\d+$/) });
        expect(fixture.hosts.get(pushed.externalId!)).toMatchObject({ name: 'pushed from nagare' });

        const localItem = await createItem(api, local.id, { name: 'pushed item', key: 'nagare.pushed', value_type: 0 });
        const itemTask = await runTask(
          `/monitors/${monitorId}/hosts/${local.id}/items/${localItem.id}/push-async`,
          'push_item',
        );
        completed(
          itemTask,
          'push_item',
          { monitor_id: monitorId, host_id: local.id, item_id: localItem.id },
          { added: 1, updated: 0, unchanged: 0, vanished: 0, failed: 0, total: 1 },
        );
        const [itemCreate] = fixture.fake.calls('item.create');
        expect(itemCreate.params).toEqual({
          hostid: pushed.externalId,
          type: 2,
          name: 'pushed item',
          key_: 'nagare.pushed',
          value_type: 0,
          units: '',
          description: '',
          status: 0,
        });
        const pushedItem = await seed.items.findOneByOrFail({ id: localItem.id });
        expect(pushedItem).toMatchObject({
          externalId: expect.stringMatching(/^\d+$/),
          externalHostId: pushed.externalId,
        });
        expect(fixture.items.get(pushedItem.externalId!)).toMatchObject({ key_: 'nagare.pushed' });
      });
    });

    describe('async endpoints', () => {
      let hostId: number;
      let itemId: number;

      beforeAll(async () => {
        hostId = (await host('20002')).id;
        itemId = (await item('1000004')).id;
      });

      /** Lets every task queued by a test finish, so the next test's counts are steady. */
      afterEach(async () => {
        const deadline = Date.now() + 10_000;
        for (;;) {
          const { queues } = await queueDetail(t.http, token);
          const busy = Object.values(queues).some((c) => c.waiting + c.active + c.delayed > 0);
          if (!busy) return;
          if (Date.now() > deadline) throw new Error(`tasks still running: ${JSON.stringify(queues)}`);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      });

      it('answer 202 with exactly the guide’s body for a host pull', async () => {
        const res = await api.post(`/monitors/${monitorId}/hosts/pull-async`);
        expect(res.status).toBe(202);
        expect(res.body).toEqual(queued('Host pull task queued', 'pull_hosts', { monitor_id: monitorId }));
      });

      it('answer 202 with exactly the guide’s body for an item pull', async () => {
        const res = await api.post(`/monitors/${monitorId}/hosts/${hostId}/items/pull-async`);
        expect(res.status).toBe(202);
        expect(res.body).toEqual(
          queued('Item pull task queued', 'pull_items', { monitor_id: monitorId, host_id: hostId }),
        );
      });

      it('answer 202 with the ids they carry for pull_host, push_host, pull_item and push_item', async () => {
        const m = monitorId;
        const cases: [string, string, TaskTypeName, Record<string, number>][] = [
          [`/monitors/${m}/hosts/${hostId}/pull-async`, 'Host pull task queued', 'pull_host', { host_id: hostId }],
          [`/monitors/${m}/hosts/${hostId}/push-async`, 'Host push task queued', 'push_host', { host_id: hostId }],
          [
            `/monitors/${m}/hosts/${hostId}/items/${itemId}/pull-async`,
            'Item pull task queued',
            'pull_item',
            { host_id: hostId, item_id: itemId },
          ],
          [
            `/monitors/${m}/hosts/${hostId}/items/${itemId}/push-async`,
            'Item push task queued',
            'push_item',
            { host_id: hostId, item_id: itemId },
          ],
        ];
        for (const [path, message, type, ids] of cases) {
          const res = await api.post(path);
          expect(res.status).toBe(202);
          expect(res.body).toEqual(queued(message, type, { monitor_id: m, ...ids }));
          const task = await waitForTask(t.http, token, res.body.task_id, ['completed', 'dead']);
          expect(task).toMatchObject({ type, state: 'completed', params: { monitor_id: m, ...ids } });
        }
      });

      it('answer 404 to an unknown monitor, host or item, or a host of another monitor, and queue nothing', async () => {
        const other = await createMonitor(api, { url: await unreachableUrl() });
        const before = jobTotal(await queueDetail(t.http, token));
        const m = monitorId;
        const paths = [
          `/monitors/999999/hosts/pull-async`,
          `/monitors/999999/hosts/${hostId}/items/pull-async`,
          `/monitors/${m}/hosts/999999/items/pull-async`,
          `/monitors/${other.id}/hosts/${hostId}/items/pull-async`,
          `/monitors/${m}/hosts/999999/pull-async`,
          `/monitors/${other.id}/hosts/${hostId}/pull-async`,
          `/monitors/${m}/hosts/999999/push-async`,
          `/monitors/999999/hosts/${hostId}/push-async`,
          `/monitors/${other.id}/hosts/${hostId}/push-async`,
          `/monitors/${m}/hosts/${hostId}/items/999999/pull-async`,
          `/monitors/${m}/hosts/999999/items/${itemId}/pull-async`,
          `/monitors/${m}/hosts/${hostId}/items/999999/push-async`,
          `/monitors/${m}/hosts/999999/items/${itemId}/push-async`,
        ];
        for (const path of paths) {
          const res = await api.post(path);
          expect({ path, status: res.status }).toEqual({ path, status: 404 });
        }
        expect(jobTotal(await queueDetail(t.http, token))).toBe(before);
      });

      it('answer 409 to a disabled monitor with the synchronous routes’ answer, and queue nothing', async () => {
        const disabled = (await createMonitor(api, { url: fixture.url, password: fixture.password, enabled: false }))
          .id;
        const h = await seed.syncedHost(disabled);
        const i = (await seed.syncedItem(h)).id;
        const before = jobTotal(await queueDetail(t.http, token));
        const sync = await api.post(`/monitors/${disabled}/hosts/pull`);
        expect(sync.status).toBe(409);
        for (const path of [
          `/monitors/${disabled}/hosts/pull-async`,
          `/monitors/${disabled}/hosts/${h.id}/items/pull-async`,
          `/monitors/${disabled}/hosts/${h.id}/pull-async`,
          `/monitors/${disabled}/hosts/${h.id}/push-async`,
          `/monitors/${disabled}/hosts/${h.id}/items/${i}/pull-async`,
          `/monitors/${disabled}/hosts/${h.id}/items/${i}/push-async`,
        ]) {
          const res = await api.post(path);
          expect({ path, status: res.status, body: res.body }).toEqual({ path, status: 409, body: sync.body });
        }
        expect(sync.body.message).toBe(`Monitor ${disabled} is disabled`);
        expect(jobTotal(await queueDetail(t.http, token))).toBe(before);
      });

      it('answer 400 to ids that are not positive integers, and queue nothing', async () => {
        const before = jobTotal(await queueDetail(t.http, token));
        for (const bad of ['abc', '0', '-1', '1.5', '1e3']) {
          const paths = [
            `/monitors/${bad}/hosts/pull-async`,
            `/monitors/${monitorId}/hosts/${bad}/items/pull-async`,
            `/monitors/${monitorId}/hosts/${bad}/pull-async`,
            `/monitors/${monitorId}/hosts/${bad}/push-async`,
            `/monitors/${monitorId}/hosts/${hostId}/items/${bad}/pull-async`,
            `/monitors/${monitorId}/hosts/${hostId}/items/${bad}/push-async`,
          ];
          for (const path of paths) {
            const res = await api.post(path);
            expect({ path, status: res.status }).toEqual({ path, status: 400 });
          }
        }
        expect(jobTotal(await queueDetail(t.http, token))).toBe(before);
      });

      it('answer 403 to a read-only user and 401 without a token, and queue nothing', async () => {
        const reader = apiAs(t, await tokenWithPrivilege(t, api, 1));
        const before = jobTotal(await queueDetail(t.http, token));
        const paths = [
          `/monitors/${monitorId}/hosts/pull-async`,
          `/monitors/${monitorId}/hosts/${hostId}/items/pull-async`,
          `/monitors/${monitorId}/hosts/${hostId}/pull-async`,
          `/monitors/${monitorId}/hosts/${hostId}/push-async`,
          `/monitors/${monitorId}/hosts/${hostId}/items/${itemId}/pull-async`,
          `/monitors/${monitorId}/hosts/${hostId}/items/${itemId}/push-async`,
        ];
        for (const path of paths) {
          expect({ path, status: (await reader.post(path)).status }).toEqual({ path, status: 403 });
          const anonymous = await request(t.http).post(`/api/v1${path}`);
          expect({ path, status: anonymous.status }).toEqual({ path, status: 401 });
        }
        expect(jobTotal(await queueDetail(t.http, token))).toBe(before);
      });
    });

    describe('GET /tasks/:task_id', () => {
      it('answers 404 to an unknown task id of a known type', async () => {
        const res = await api.get('/tasks/pull_hosts:987654321');
        expect(res.status).toBe(404);
        expect(res.body).toMatchObject({ statusCode: 404, message: expect.stringContaining('pull_hosts:987654321') });
      });

      it('answers 400 to a malformed task id', async () => {
        for (const bad of ['42', 'pull_hosts', 'pull_hosts:', 'pull_hosts:abc', 'no_such_type:1', 'pull_hosts:-1']) {
          const res = await api.get(`/tasks/${encodeURIComponent(bad)}`);
          expect({ bad, status: res.status }).toEqual({ bad, status: 400 });
        }
      });

      it('answers 401 without a token and 200 to a read-only user', async () => {
        const task = await runTask(`/monitors/${monitorId}/hosts/pull-async`, 'pull_hosts');
        expect((await request(t.http).get(`/api/v1/tasks/${task.task_id}`)).status).toBe(401);
        const reader = apiAs(t, await tokenWithPrivilege(t, api, 1));
        const res = await reader.get(`/tasks/${task.task_id}`);
        expect(res.status).toBe(200);
        expect(res.body.state).toBe('completed');
      });
    });

    it('logs each attempt’s start, completion with duration_ms, and failure with the task id on lines that say worker', async () => {
      const ok = await runTask(`/monitors/${monitorId}/hosts/pull-async`, 'pull_hosts');
      const broken = await createMonitor(api, { url: await unreachableUrl() });
      const res = await api.post(`/monitors/${broken.id}/hosts/pull-async`);
      const failed = await waitForTask(t.http, token, res.body.task_id, 'dead');
      expect(failed.attempts_made).toBe(4);

      const okLines = workerLines(t.systemLog(), ok.task_id);
      expect(okLines).toEqual([
        expect.objectContaining({ msg: `worker started task ${ok.task_id} (attempt 1)`, attempt: 1 }),
        expect.objectContaining({ msg: `worker completed task ${ok.task_id}`, duration_ms: expect.any(Number) }),
      ]);
      const failedLines = workerLines(t.systemLog(), failed.task_id);
      const starts = failedLines.filter((line) => String(line.msg).startsWith('worker started task'));
      const failures = failedLines.filter((line) => String(line.msg).startsWith('worker failed task'));
      expect(starts.map((line) => line.attempt)).toEqual([1, 2, 3, 4]);
      expect(failures).toHaveLength(4);
      for (const line of failures) {
        expect(line).toMatchObject({
          level: 'warn',
          error: expect.stringMatching(/unreachable/i),
          duration_ms: expect.any(Number),
        });
      }
      expect(failures.map((line) => line.will_retry)).toEqual([true, true, true, false]);
      expect(failedLines.at(-1)).toMatchObject({ msg: `worker moved task ${failed.task_id} to the dead letters` });
      // What `tail -f logs/system.log | grep worker` shows: every one of those lines as its raw text says worker.
      const raw = t
        .systemLog()
        .split('\n')
        .filter((line) => line.includes(ok.task_id) || line.includes(failed.task_id));
      expect(raw.length).toBeGreaterThanOrEqual(okLines.length + failedLines.length);
      for (const line of raw.filter((l) => /started task|completed task|failed task|dead letters/.test(l))) {
        expect(line).toContain('worker');
      }
    });

    it('generate_alerts: POST /alerts/generate-test-async?count=2 answers 202, the task completes and 2 alerts exist', async () => {
      const before = (await api.get('/alerts', { limit: 1 })).body.total as number;
      const res = await api.post('/alerts/generate-test-async?count=2');
      expect(res.status).toBe(202);
      expect(res.body).toEqual({
        message: 'Test alert generation task queued',
        task_id: expect.stringMatching(taskIdPattern('generate_alerts')),
        count: 2,
      });
      const task = await waitForTask(t.http, token, res.body.task_id, ['completed', 'dead']);
      expect(task).toMatchObject({ state: 'completed', params: { count: 2 }, progress: 100, attempts_made: 1 });
      const after = await api.get('/alerts', { limit: 100 });
      expect(after.body.total).toBe(before + 2);
    });
    it('answered every request of this block with a status and a body its OpenAPI document gives', () => {
      expect(documented.checked).toBeGreaterThan(10);
      expect(documented.problems()).toEqual([]);
    });
  });

  describe('with no worker on the queues (role api)', () => {
    let shared: SharedQueue;
    let a: TestApp;
    let documented: DocumentedResponses;
    let token: string;
    let api: Api;
    let seed: ReturnType<typeof seeder>;

    beforeAll(async () => {
      shared = await sharedQueue();
      a = await startTestApp({ ...shared.env, NAGARE_ROLE: 'api' });
      documented = await DocumentedResponses.watch(a.http);
      token = await a.login();
      api = apiAs(a, token);
      seed = seeder(a);
    });
    afterAll(async () => {
      await a?.close();
      await shared?.close();
    });

    const monitor = async () => (await createMonitor(api, { url: await unreachableUrl() })).id;

    it('answers a repeat pull-async of the same monitor with the waiting task and deduplicated: true', async () => {
      const m = await monitor();
      const first = await api.post(`/monitors/${m}/hosts/pull-async`);
      const second = await api.post(`/monitors/${m}/hosts/pull-async`);
      expect(first.status).toBe(202);
      expect(first.body).toEqual(queued('Host pull task queued', 'pull_hosts', { monitor_id: m }));
      expect(second.status).toBe(202);
      expect(second.body).toEqual({ ...first.body, deduplicated: true });
      expect((await queueStats(a.http, token)).pull_hosts).toBe(1);
      expect((await api.get(`/tasks/${first.body.task_id}`)).body).toMatchObject({
        state: 'waiting',
        progress: 0,
        attempts_made: 0,
        max_attempts: 4,
        result: null,
        error: null,
        started_at: null,
        finished_at: null,
        created_at: expect.stringMatching(ISO_DATE),
      });
    });

    it('queues a new task for another monitor', async () => {
      const before = (await queueStats(a.http, token)).pull_hosts;
      const [m1, m2] = [await monitor(), await monitor()];
      const one = await api.post(`/monitors/${m1}/hosts/pull-async`);
      const two = await api.post(`/monitors/${m2}/hosts/pull-async`);
      expect(two.body.task_id).not.toBe(one.body.task_id);
      expect(two.body).not.toHaveProperty('deduplicated');
      expect((await queueStats(a.http, token)).pull_hosts).toBe(before + 2);
    });

    it('answers parallel repeats for one target with one task', async () => {
      const m = await monitor();
      const answers = await Promise.all(Array.from({ length: 6 }, () => api.post(`/monitors/${m}/hosts/pull-async`)));
      expect(new Set(answers.map((res) => res.body.task_id)).size).toBe(1);
      expect(answers.filter((res) => res.body.deduplicated === true)).toHaveLength(5);
    });

    it('dedupes item pulls per host: the same host gets the waiting task, another host a new one', async () => {
      const m = await monitor();
      const [h1, h2] = [await seed.syncedHost(m), await seed.syncedHost(m)];
      const one = await api.post(`/monitors/${m}/hosts/${h1.id}/items/pull-async`);
      const again = await api.post(`/monitors/${m}/hosts/${h1.id}/items/pull-async`);
      const other = await api.post(`/monitors/${m}/hosts/${h2.id}/items/pull-async`);
      expect(again.body).toEqual({ ...one.body, deduplicated: true });
      expect(other.body.task_id).not.toBe(one.body.task_id);
      expect(other.body).toEqual(queued('Item pull task queued', 'pull_items', { monitor_id: m, host_id: h2.id }));
    });

    it('queues every generate_alerts request as its own task: test alerts have no target to dedupe on', async () => {
      await seed.syncedHost(await monitor());
      const one = await api.post('/alerts/generate-test-async?count=1');
      const two = await api.post('/alerts/generate-test-async?count=1');
      expect([one.status, two.status]).toEqual([202, 202]);
      expect(two.body.task_id).not.toBe(one.body.task_id);
      expect(two.body).not.toHaveProperty('deduplicated');
      expect((await queueStats(a.http, token)).generate_alerts).toBe(2);
    });

    it("GET /queue/stats answers exactly the guide's seven types and the alerts' two, each the tasks waiting plus delayed", async () => {
      const delayedQueue = bullQueue(shared.redisUrl, shared.prefix, 'pull_item');
      try {
        await delayedQueue.add(
          { type: 'pull_item', params: { monitor_id: 1, host_id: 1, item_id: 1 } },
          { delay: 600_000 },
        );
      } finally {
        await delayedQueue.close();
      }
      const stats = await queueStats(a.http, token);
      const detail = await queueDetail(a.http, token);
      expect(Object.keys(stats).sort()).toEqual([...TASK_TYPES].sort());
      expect(stats).toEqual(
        Object.fromEntries(TASK_TYPES.map((type) => [type, detail.queues[type].waiting + detail.queues[type].delayed])),
      );
      expect(stats).toEqual({
        pull_hosts: 4,
        pull_items: 2,
        generate_alerts: 2,
        pull_host: 0,
        pull_item: 1,
        push_host: 0,
        push_item: 0,
        pull_alerts: 0,
        acknowledge_alert: 0,
      });
      expect(detail.queues.pull_item).toEqual({
        waiting: 0,
        active: 0,
        delayed: 1,
        completed: 0,
        failed: 0,
        paused: 0,
      });
      expect(detail.dead).toBe(0);

      const reader = apiAs(a, await tokenWithPrivilege(a, api, 1));
      expect((await reader.get('/queue/stats')).body).toEqual(stats);
      expect((await request(a.http).get('/api/v1/queue/stats')).status).toBe(401);
    });
    it('answered every request of this block with a status and a body its OpenAPI document gives', () => {
      expect(documented.checked).toBeGreaterThan(10);
      expect(documented.problems()).toEqual([]);
    });
  });

  describe('a task from waiting to completed, as a worker takes it', () => {
    let shared: SharedQueue;
    let a: TestApp;
    let worker: TestApp | undefined;
    let fixture: ZabbixInventoryFixture;
    let proxy: SlowZabbixProxy;

    beforeAll(async () => {
      shared = await sharedQueue();
      a = await startTestApp({ ...shared.env, NAGARE_ROLE: 'api' });
      fixture = await ZabbixInventoryFixture.start(600, 1);
      proxy = await SlowZabbixProxy.start(fixture.url);
    });
    afterAll(async () => {
      await worker?.close();
      await a?.close();
      await proxy?.close();
      await fixture?.close();
      await shared?.close();
    });

    it('goes waiting → active → completed with progress reported in between on a 600-host monitor', async () => {
      const token = await a.login();
      const api = apiAs(a, token);
      const monitorId = (await createMonitor(api, { url: proxy.url, password: fixture.password })).id;
      // item.get asks for 100 hosts at a time: 6 calls, each slowed so the pull is seen between them.
      proxy.delay('item.get', 200);

      const res = await api.post(`/monitors/${monitorId}/hosts/pull-async`);
      expect(res.status).toBe(202);
      const taskId = res.body.task_id as string;
      const waiting = await waitForTask(a.http, token, taskId, 'waiting');
      expect(waiting).toMatchObject({ progress: 0, attempts_made: 0, started_at: null, finished_at: null });

      worker = await startTestApp({ ...shared.env, NAGARE_ROLE: 'worker' });
      const seen: TaskJson[] = [waiting];
      await waitForTask(a.http, token, taskId, 'active', 15_000, (task) => seen.push(task));

      // Once it holds the monitor (status syncing), a repeat request is no longer deduplicated: it queues the
      // follow-up, which waits its turn.
      const deadline = Date.now() + 15_000;
      while ((await api.get(`/monitors/${monitorId}`)).body.status !== 3) {
        if (Date.now() > deadline) throw new Error('the pull never started its work');
        await sleep(20);
      }
      const repeat = await api.post(`/monitors/${monitorId}/hosts/pull-async`);
      expect(repeat.status).toBe(202);
      expect(repeat.body).not.toHaveProperty('deduplicated');
      expect(repeat.body.task_id).not.toBe(taskId);

      const { final, seen: rest } = await watchTask(a.http, token, taskId, ['completed', 'dead'], 30_000);
      seen.push(...rest);
      expect(stateSequence(seen)).toEqual(['waiting', 'active', 'completed']);
      const progress = seen.filter((task) => task.state === 'active').map((task) => task.progress);
      expect(progress.some((value) => value > 0 && value < 100)).toBe(true);
      expect(progress).toEqual([...progress].sort((x, y) => x - y));
      expect(final).toEqual({
        task_id: taskId,
        type: 'pull_hosts',
        state: 'completed',
        progress: 100,
        attempts_made: 1,
        max_attempts: 4,
        params: { monitor_id: monitorId },
        result: {
          added: 600,
          updated: 0,
          unchanged: 0,
          vanished: 0,
          failed: 0,
          total: 600,
          items: { added: 600, updated: 0, unchanged: 0, vanished: 0, failed: 0, total: 600, unsupported: 0 },
        },
        error: null,
        created_at: expect.any(String),
        started_at: expect.any(String),
        finished_at: expect.any(String),
      });
      expectOrderedTimestamps(final);
      expect(await a.app.get(DataSource).getRepository(Host).countBy({ monitorId })).toBe(600);

      const second = await waitForTask(a.http, token, repeat.body.task_id, ['completed', 'dead'], 30_000);
      expect(second.result).toMatchObject({ added: 0, updated: 0, unchanged: 600, total: 600 });
      expect(await a.app.get(DataSource).getRepository(Item).count()).toBe(600);
    });
  });

  describe('with Redis down', () => {
    let redis: RedisServer;
    let t: TestApp;

    beforeAll(async () => {
      redis = await RedisServer.start();
      t = await startTestApp({ REDIS_URL: redis.url, NAGARE_ROLE: 'api' });
    });
    afterAll(async () => {
      // A test that failed while Redis was stopped leaves it stopped; the app closes faster with it back.
      if (redis && redis.pid === undefined) await redis.resume().catch(() => undefined);
      await t?.close();
      await redis?.destroy();
    });

    it('answers an async endpoint 503 within 2 s, and nothing is queued once Redis is back', async () => {
      const token = await t.login();
      const api = apiAs(t, token);
      const m = (await createMonitor(api, { url: await unreachableUrl() })).id;
      const h = (await seeder(t).syncedHost(m)).id;

      await redis.stop();
      await waitForReady(t, 503);
      for (const path of [`/monitors/${m}/hosts/pull-async`, `/monitors/${m}/hosts/${h}/items/pull-async`]) {
        const started = Date.now();
        const res = await api.post(path);
        const elapsed = Date.now() - started;
        expect({ path, status: res.status }).toEqual({ path, status: 503 });
        expect(res.body.message).toMatch(/redis/i);
        expect(elapsed).toBeLessThan(2000);
      }

      await redis.resume();
      await waitForReady(t, 200);
      // Give anything ioredis might have buffered while Redis was away the time to reach it.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const detail = await queueDetail(t.http, token);
      expect(jobTotal(detail)).toBe(0);
      expect(Object.values(await queueStats(t.http, token))).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0]);

      // And the service queues again by itself.
      const res = await api.post(`/monitors/${m}/hosts/pull-async`);
      expect(res.status).toBe(202);
    });
  });
});

/** Polls /health/ready until it answers `status`. */
async function waitForReady(t: TestApp, status: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await request(t.http).get('/health/ready');
    if (res.status === status) return;
    if (Date.now() > deadline) throw new Error(`/health/ready answered ${res.status}, not ${status}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
