import { jest } from '@jest/globals';
import type { Queue } from 'bull';
import request from 'supertest';
import { ServiceUnavailableError } from '../src/common/http/domain-error';
import { DeadLetters } from '../src/queue/dead-letters.service';
import { REDIS_UNAVAILABLE } from '../src/redis/bounded';
import {
  type Api,
  apiAs,
  createMonitor,
  seeder,
  tokenWithPrivilege,
  unreachableUrl,
} from './support/inventory-factory';
import {
  bullQueue,
  type DeadLetterJson,
  queueDetail,
  type SharedQueue,
  sharedQueue,
  taskIdPattern,
  waitForTask,
} from './support/queue-helpers';
import { startTestApp, type TestApp } from './support/test-app';
import { ZabbixInventoryFixture } from './support/zabbix-inventory-fixture';
import { ISO_DATE } from './support/time';

jest.setTimeout(60_000);

const redisUrl = () => process.env.NAGARE_TEST_REDIS_URL as string;

/** The dead letter of a task, exactly as GET /queue/dead lists it. */
function letter(taskId: string, type: string, params: object, error: RegExp, attempts: number) {
  return {
    task_id: taskId,
    type,
    params,
    error: expect.stringMatching(error),
    attempts,
    failed_at: expect.stringMatching(ISO_DATE),
  };
}

describe('dead letters (e2e)', () => {
  describe('on a service that runs its own workers', () => {
    let t: TestApp;
    let token: string;
    let api: Api;
    let fixture: ZabbixInventoryFixture;
    let pullHosts: Queue;

    beforeAll(async () => {
      t = await startTestApp({ TASK_BACKOFF_MS: '50' });
      token = await t.login();
      api = apiAs(t, token);
      fixture = await ZabbixInventoryFixture.start(2, 1);
      pullHosts = bullQueue(redisUrl(), t.config.queue.prefix, 'pull_hosts');
    });
    afterAll(async () => {
      await pullHosts?.close();
      await t?.close();
      await fixture?.close();
    });

    const deadCount = async () => (await queueDetail(t.http, token)).dead;

    async function queuePull(monitorId: number): Promise<string> {
      const res = await api.post(`/monitors/${monitorId}/hosts/pull-async`);
      expect(res.status).toBe(202);
      return res.body.task_id;
    }

    /** Queues a pull while no worker takes it (a global pause), then changes its monitor before it runs. */
    async function queuePullThen(monitorId: number, change: () => Promise<void>): Promise<string> {
      await pullHosts.pause(); // globally: the service's worker takes nothing until resume
      try {
        const taskId = await queuePull(monitorId);
        expect((await waitForTask(t.http, token, taskId, 'waiting')).attempts_made).toBe(0);
        await change();
        return taskId;
      } finally {
        await pullHosts.resume();
      }
    }

    let retriedMonitor: number;
    let deadTaskId: string;

    it('tries a task 1 + 3 times with growing backoff while its monitor answers HTTP 500, then buries it', async () => {
      const calls: number[] = [];
      fixture.fake.raw((_req, res) => {
        calls.push(Date.now());
        res.writeHead(500).end();
      });
      retriedMonitor = (await createMonitor(api, { url: fixture.url, password: fixture.password })).id;
      deadTaskId = await queuePull(retriedMonitor);

      const task = await waitForTask(t.http, token, deadTaskId, 'dead', 15_000);
      expect(task).toMatchObject({
        state: 'dead',
        attempts_made: 4,
        max_attempts: 4,
        error: expect.stringMatching(/HTTP 500/),
        result: null,
        finished_at: expect.stringMatching(ISO_DATE),
      });
      // One call per attempt (the version check fails first); exponential backoff from TASK_BACKOFF_MS=50.
      expect(calls).toHaveLength(4);
      const gaps = calls.slice(1).map((at, i) => at - calls[i]);
      expect(gaps[0]).toBeGreaterThanOrEqual(45);
      expect(gaps[1]).toBeGreaterThanOrEqual(140);
      expect(gaps[2]).toBeGreaterThanOrEqual(330);

      const list = await api.get('/queue/dead');
      expect(list.status).toBe(200);
      expect(list.body).toEqual({
        items: [letter(deadTaskId, 'pull_hosts', { monitor_id: retriedMonitor }, /HTTP 500/, 4)],
        total: 1,
        limit: expect.any(Number),
        offset: 0,
      });
      const one = await api.get(`/queue/dead/${deadTaskId}`);
      expect(one.status).toBe(200);
      expect(one.body).toEqual(list.body.items[0]);
      expect(Date.parse(one.body.failed_at)).toBeGreaterThanOrEqual(Date.parse(task.created_at!));

      const detail = await queueDetail(t.http, token);
      expect(detail.dead).toBe(1);
      expect(detail.queues.pull_hosts).toMatchObject({ waiting: 0, active: 0, delayed: 0, failed: 1 });
    });

    it('retries a dead letter as a new task (202) that completes once the monitor is fixed, and drops the letter', async () => {
      fixture.fake.raw(null);
      const res = await api.post(`/queue/dead/${deadTaskId}/retry`);
      expect(res.status).toBe(202);
      expect(res.body).toEqual({
        message: 'Task requeued',
        task_id: expect.stringMatching(taskIdPattern('pull_hosts')),
        retried_from: deadTaskId,
      });
      expect(res.body.task_id).not.toBe(deadTaskId);
      expect((await api.get(`/queue/dead/${deadTaskId}`)).status).toBe(404);

      const retried = await waitForTask(t.http, token, res.body.task_id, ['completed', 'dead']);
      expect(retried).toMatchObject({ state: 'completed', params: { monitor_id: retriedMonitor }, attempts_made: 1 });
      expect(await seeder(t).hosts.countBy({ monitorId: retriedMonitor })).toBe(2);
      // The failed original went with its letter: no sweep brings it back.
      expect(await t.app.get(DeadLetters).sweep()).toBe(0);
      expect(await deadCount()).toBe(0);
    });

    let goneMonitor: number;
    let goneTaskId: string;

    it('buries a task whose monitor was deleted before it ran after one attempt', async () => {
      const monitorId = (await createMonitor(api, { url: fixture.url, password: fixture.password })).id;
      const taskId = await queuePullThen(monitorId, async () => {
        expect((await api.delete(`/monitors/${monitorId}`)).status).toBe(204);
      });
      const task = await waitForTask(t.http, token, taskId, 'dead');
      expect(task).toMatchObject({ attempts_made: 1, max_attempts: 4, error: `Monitor ${monitorId} not found` });
      expect((await api.get(`/queue/dead/${taskId}`)).body).toEqual(
        letter(taskId, 'pull_hosts', { monitor_id: monitorId }, /^Monitor \d+ not found$/, 1),
      );
      [goneMonitor, goneTaskId] = [monitorId, taskId];
    });

    it('refuses to retry a letter whose monitor is gone (409 naming it) and keeps it; a bulk retry skips it, saying why', async () => {
      const gone = `Monitor ${goneMonitor} not found`;
      const single = await api.post(`/queue/dead/${goneTaskId}/retry`);
      expect({ status: single.status, message: single.body.message }).toEqual({
        status: 409,
        message: `Dead letter ${goneTaskId} cannot be retried: ${gone}`,
      });
      const bulk = await api.post('/queue/dead/retry', { type: 'pull_hosts' });
      expect({ status: bulk.status, body: bulk.body }).toEqual({
        status: 202,
        body: { retried: 0, tasks: [], failed: [], skipped: [{ task_id: goneTaskId, reason: gone }], remaining: 0 },
      });
      expect((await api.get(`/queue/dead/${goneTaskId}`)).status).toBe(200);
      expect(await deadCount()).toBe(1);
      expect((await queueDetail(t.http, token)).queues.pull_hosts).toMatchObject({ waiting: 0, active: 0, delayed: 0 });
    });

    it('refuses to retry a letter whose monitor is now disabled, with the synchronous routes’ reason', async () => {
      const monitorId = (await createMonitor(api, { url: await unreachableUrl() })).id;
      const taskId = await queuePull(monitorId);
      await waitForTask(t.http, token, taskId, 'dead', 15_000);
      expect((await api.patch(`/monitors/${monitorId}`, { enabled: false })).status).toBe(200);
      const disabled = `Monitor ${monitorId} is disabled`;
      expect((await api.post(`/monitors/${monitorId}/hosts/pull`)).body.message).toBe(disabled);

      const single = await api.post(`/queue/dead/${taskId}/retry`);
      expect({ status: single.status, message: single.body.message }).toEqual({
        status: 409,
        message: `Dead letter ${taskId} cannot be retried: ${disabled}`,
      });
      const bulk = await api.post('/queue/dead/retry', { type: 'pull_hosts' });
      expect(bulk.body).toMatchObject({
        retried: 0,
        skipped: [
          { task_id: goneTaskId, reason: `Monitor ${goneMonitor} not found` },
          { task_id: taskId, reason: disabled },
        ],
      });
      expect(await deadCount()).toBe(2);
      // Leaves the letters as the tests below expect them.
      expect((await api.delete(`/queue/dead/${taskId}`)).status).toBe(204);
    });

    it('buries a task whose monitor was disabled before it ran after one attempt: only an operator can change that', async () => {
      const monitorId = (await createMonitor(api, { url: fixture.url, password: fixture.password })).id;
      const taskId = await queuePullThen(monitorId, async () => {
        expect((await api.patch(`/monitors/${monitorId}`, { enabled: false })).status).toBe(200);
      });
      const task = await waitForTask(t.http, token, taskId, 'dead');
      expect(task).toMatchObject({ attempts_made: 1, max_attempts: 4, error: `Monitor ${monitorId} is disabled` });
      // Enabled again, the letter retries and the pull completes.
      expect((await api.patch(`/monitors/${monitorId}`, { enabled: true })).status).toBe(200);
      const retry = await api.post(`/queue/dead/${taskId}/retry`);
      expect(retry.status).toBe(202);
      const retried = await waitForTask(t.http, token, retry.body.task_id, ['completed', 'dead']);
      expect(retried).toMatchObject({ state: 'completed', attempts_made: 1 });
      expect(await deadCount()).toBe(1);
    });

    it('buries a task whose payload is invalid after one attempt', async () => {
      const job = await pullHosts.add(
        { type: 'pull_hosts', params: { monitor_id: 'one' } },
        { attempts: 4, backoff: { type: 'exponential', delay: 50 } },
      );
      const taskId = `pull_hosts:${job.id}`;
      const task = await waitForTask(t.http, token, taskId, 'dead');
      expect(task).toMatchObject({
        attempts_made: 1,
        error: expect.stringMatching(/monitor_id must be a positive integer/),
      });
    });

    it('lists the dead letters newest first, by type and page', async () => {
      const broken = (await createMonitor(api, { url: await unreachableUrl() })).id;
      const host = await seeder(t).syncedHost(broken);
      const res = await api.post(`/monitors/${broken}/hosts/${host.id}/items/pull-async`);
      const itemsTask = res.body.task_id as string;
      await waitForTask(t.http, token, itemsTask, 'dead');

      const all = await api.get('/queue/dead');
      expect(all.body.total).toBe(3);
      expect(all.body.items.map((l: DeadLetterJson) => l.type)).toEqual(['pull_items', 'pull_hosts', 'pull_hosts']);
      expect(all.body.items[0]).toEqual(
        letter(itemsTask, 'pull_items', { monitor_id: broken, host_id: host.id }, /unreachable/i, 4),
      );

      const byType = await api.get('/queue/dead', { type: 'pull_items' });
      expect(byType.body).toMatchObject({ total: 1, items: [{ task_id: itemsTask }] });
      expect((await api.get('/queue/dead', { type: 'pull_hosts' })).body.total).toBe(2);
      expect((await api.get('/queue/dead', { type: 'push_item' })).body).toMatchObject({ total: 0, items: [] });

      const second = await api.get('/queue/dead', { limit: 1, offset: 1 });
      expect(second.body).toEqual({ items: [all.body.items[1]], total: 3, limit: 1, offset: 1 });
      expect((await api.get('/queue/dead', { type: 'no_such_type' })).status).toBe(400);
    });

    it('lets privilege 1 read the dead letters but not retry or remove them (403); 401 without a token', async () => {
      const reader = apiAs(t, await tokenWithPrivilege(t, api, 1));
      const [first] = (await api.get('/queue/dead')).body.items as DeadLetterJson[];
      expect((await reader.get('/queue/dead')).status).toBe(200);
      expect((await reader.get(`/queue/dead/${first.task_id}`)).status).toBe(200);
      expect((await reader.post(`/queue/dead/${first.task_id}/retry`)).status).toBe(403);
      expect((await reader.delete(`/queue/dead/${first.task_id}`)).status).toBe(403);
      expect((await reader.delete('/queue/dead')).status).toBe(403);
      expect((await request(t.http).get('/api/v1/queue/dead')).status).toBe(401);
      expect((await request(t.http).delete('/api/v1/queue/dead')).status).toBe(401);
      expect(await deadCount()).toBe(3);
    });

    it('DELETE /queue/dead/:task_id answers 204, then 404; a malformed id 400', async () => {
      const [first] = (await api.get('/queue/dead')).body.items as DeadLetterJson[];
      expect((await api.delete(`/queue/dead/${first.task_id}`)).status).toBe(204);
      expect((await api.get(`/queue/dead/${first.task_id}`)).status).toBe(404);
      expect((await api.delete(`/queue/dead/${first.task_id}`)).status).toBe(404);
      expect((await api.post(`/queue/dead/${first.task_id}/retry`)).status).toBe(404);
      expect((await api.delete('/queue/dead/not-a-task')).status).toBe(400);
      expect((await api.get('/queue/dead/pull_hosts:x')).status).toBe(400);
      expect(await t.app.get(DeadLetters).sweep()).toBe(0);
      expect(await deadCount()).toBe(2);
    });

    it('DELETE /queue/dead removes every letter and answers {removed: n}', async () => {
      const res = await api.delete('/queue/dead');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ removed: 2 });
      expect((await api.get('/queue/dead')).body).toMatchObject({ total: 0, items: [] });
      expect(await deadCount()).toBe(0);
      expect((await api.delete('/queue/dead')).body).toEqual({ removed: 0 });
      expect(await t.app.get(DeadLetters).sweep()).toBe(0);
    });

    it('queues a letter once when its retry answered 503 after the task was added, and is retried again', async () => {
      // generate_alerts, which duplicate detection leaves alone: two retries of its letter would be two tasks.
      const generate = bullQueue(redisUrl(), t.config.queue.prefix, 'generate_alerts');
      await generate.pause(); // globally: the retried task waits, so the queue can be counted
      try {
        const failed = await generate.add({ type: 'generate_alerts', params: { count: 1 } });
        const lettersService = t.app.get(DeadLetters);
        await lettersService.bury(failed, 'failed for good');
        await failed.remove();
        const taskId = `generate_alerts:${failed.id}`;
        // Redis went quiet after the add and before the letter was dropped: the client got 503, the letter stayed.
        const remove = jest
          .spyOn(lettersService, 'remove')
          .mockRejectedValueOnce(new ServiceUnavailableError(REDIS_UNAVAILABLE));
        expect((await api.post(`/queue/dead/${taskId}/retry`)).status).toBe(503);
        remove.mockRestore();
        expect((await api.get(`/queue/dead/${taskId}`)).status).toBe(200);
        expect(await generate.getWaitingCount()).toBe(1);

        const again = await api.post(`/queue/dead/${taskId}/retry`);
        expect(again.status).toBe(202);
        const waiting = await generate.getWaiting();
        expect(waiting.map((job) => `generate_alerts:${job.id}`)).toEqual([again.body.task_id]);
        expect((await api.get(`/queue/dead/${taskId}`)).status).toBe(404);
        expect((await api.post(`/queue/dead/${taskId}/retry`)).status).toBe(404);
        await generate.empty();
      } finally {
        await generate.resume();
        await generate.close();
      }
    });
  });

  describe('a task that failed for good while no process could bury it', () => {
    let shared: SharedQueue;
    let a: TestApp;
    let worker: TestApp | undefined;
    let token: string;
    let api: Api;

    beforeAll(async () => {
      shared = await sharedQueue();
      a = await startTestApp({ ...shared.env, NAGARE_ROLE: 'api' });
      token = await a.login();
      api = apiAs(a, token);
    });
    afterAll(async () => {
      await worker?.close();
      await a?.close();
      await shared?.close();
    });

    /**
     * Queues a pull over HTTP and fails it through every attempt with a bare Bull worker that, like a process
     * killed between the last failure and the burial, never moves it to the dead letters.
     */
    async function failWithoutBurial(reason: string): Promise<string> {
      const monitorId = (await createMonitor(api, { url: await unreachableUrl() })).id;
      const res = await api.post(`/monitors/${monitorId}/hosts/pull-async`);
      const taskId = res.body.task_id as string;
      const bare = bullQueue(shared.redisUrl, shared.prefix, 'pull_hosts');
      try {
        void bare.process('*', async () => {
          throw new Error(reason);
        });
        const failed = await waitForTask(a.http, token, taskId, 'failed');
        expect(failed).toMatchObject({ attempts_made: 4, max_attempts: 4, error: reason });
      } finally {
        await bare.close();
      }
      return taskId;
    }

    it('is buried exactly once by the start-up sweep of a worker, however often the sweep runs', async () => {
      const taskId = await failWithoutBurial('the worker died before the burial');
      expect((await api.get('/queue/dead')).body.total).toBe(0);
      expect((await queueDetail(a.http, token)).queues.pull_hosts.failed).toBe(1);

      worker = await startTestApp({ ...shared.env, NAGARE_ROLE: 'worker' });
      const task = await waitForTask(a.http, token, taskId, 'dead', 10_000);
      expect(task).toMatchObject({ attempts_made: 4, error: 'the worker died before the burial' });
      expect((await api.get('/queue/dead')).body).toMatchObject({
        total: 1,
        items: [
          letter(taskId, 'pull_hosts', { monitor_id: task.params.monitor_id as number }, /died before the burial/, 4),
        ],
      });

      expect(await worker.app.get(DeadLetters).sweep()).toBe(0);
      expect(await worker.app.get(DeadLetters).sweep()).toBe(0);
      expect(await a.app.get(DeadLetters).sweep()).toBe(0);
      expect((await queueDetail(a.http, token)).dead).toBe(1);
    });

    it('stays one dead letter when several sweeps race for it', async () => {
      await worker?.close();
      worker = undefined;
      const taskId = await failWithoutBurial('lost between failure and burial');
      const sweeps = a.app.get(DeadLetters);
      await Promise.all([sweeps.sweep(), sweeps.sweep(), sweeps.sweep()]);
      expect((await queueDetail(a.http, token)).dead).toBe(2);
      expect((await api.get(`/queue/dead/${taskId}`)).body).toMatchObject({ task_id: taskId, attempts: 4 });
    });
  });
});
