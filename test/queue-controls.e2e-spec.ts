import { jest } from '@jest/globals';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { type Api, apiAs, createHost, tokenWithPrivilege } from './support/inventory-factory';
import { queueDetail, type TaskJson, waitForTask, workerLines } from './support/queue-helpers';
import { ISO_DATE, sleep } from './support/time';
import { ConflictError } from '../src/common/http/domain-error';
import { TaskCancellation } from '../src/queue/task-cancellation.service';
import { DocumentedResponses } from './support/documented-responses';
import { waitFor } from './support/service-process';
import { startTestApp, type TestApp } from './support/test-app';

jest.setTimeout(60_000);

const SECRET = 'queue-controls-webhook-secret-0123456789';

/** Long enough for an idle worker to take a waiting task many times over (it takes one in milliseconds). */
const NOTHING_STARTS_MS = 1500;
/** Tasks whose cancel races the worker's fetch. */
const RACERS = 60;

/** A loopback receiver of webhook deliveries: every JSON body POSTed to it, answered 204. */
async function startReceiver(): Promise<{ url: string; bodies: Record<string, unknown>[]; server: Server }> {
  const bodies: Record<string, unknown>[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      bodies.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, bodies, server };
}

describe('queue controls: pause, resume, cancel (e2e)', () => {
  let t: TestApp;
  let token: string;
  let api: Api;
  let documented: DocumentedResponses;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;

  beforeAll(async () => {
    receiver = await startReceiver();
    t = await startTestApp({ WEBHOOK_SECRET: SECRET, WEBHOOK_ALLOWED_HOSTS: '127.0.0.1', TASK_BACKOFF_MS: '50' });
    documented = await DocumentedResponses.watch(t.http);
    token = await t.login();
    api = apiAs(t, token);
    // Test alerts are written on a host: one is enough.
    await createHost(api);
  });
  afterAll(async () => {
    await t?.close();
    await new Promise((resolve) => receiver?.server.close(resolve));
  });

  async function queueAlerts(body?: object, count = 1): Promise<string> {
    const res = await api.post(`/alerts/generate-test-async?count=${count}`, body);
    expect(res.status).toBe(202);
    return res.body.task_id as string;
  }

  /** How often this app's worker logged starting the task. */
  const starts = (taskId: string) =>
    workerLines(t.systemLog(), taskId).filter((line) => String(line.msg).startsWith(`worker started task ${taskId}`))
      .length;

  async function task(taskId: string): Promise<TaskJson> {
    const res = await api.get(`/tasks/${encodeURIComponent(taskId)}`);
    expect(res.status).toBe(200);
    return res.body as TaskJson;
  }

  describe('POST /queue/:type/pause and /resume', () => {
    afterEach(async () => {
      await api.post('/queue/generate_alerts/resume');
    });

    it('answers 400 naming type for an unknown type, 401 without a token, 403 below privilege 2', async () => {
      for (const path of ['/queue/pull_everything/pause', '/queue/dead/resume']) {
        const res = await api.post(path);
        expect(res.status).toBe(400);
        expect(res.body.message).toMatch(/^type must be one of: pull_hosts, /);
      }
      expect((await request(t.http).post('/api/v1/queue/pull_hosts/pause')).status).toBe(401);
      const reader = apiAs(t, await tokenWithPrivilege(t, api, 1));
      expect((await reader.post('/queue/pull_hosts/pause')).status).toBe(403);
      expect((await queueDetail(t.http, token)).paused_types).toEqual([]);
    });

    it('queues (202) but starts nothing of the paused type, shows it paused, and runs it once resumed', async () => {
      const paused = await api.post('/queue/generate_alerts/pause');
      expect(paused.status).toBe(200);
      expect(paused.body).toEqual({ type: 'generate_alerts', paused: true });
      // Pausing twice is the same state, not an error.
      expect((await api.post('/queue/generate_alerts/pause')).body).toEqual({ type: 'generate_alerts', paused: true });

      const taskId = await queueAlerts();
      await sleep(NOTHING_STARTS_MS);
      expect(await task(taskId)).toMatchObject({ state: 'waiting', started_at: null, attempts_made: 0 });
      expect(starts(taskId)).toBe(0);
      const detail = await queueDetail(t.http, token);
      expect(detail.paused_types).toEqual(['generate_alerts']);
      expect(detail.queues.generate_alerts).toMatchObject({ paused: 1, waiting: 0, active: 0 });
      // Still a task waiting to run, as the guide's stats count it.
      expect((await api.get('/queue/stats')).body.generate_alerts).toBe(1);
      const metrics = await request(t.http).get('/metrics');
      expect(metrics.text).toContain('nagare_queue_paused{type="generate_alerts"} 1');
      expect(metrics.text).toContain('nagare_queue_paused{type="pull_hosts"} 0');
      expect(t.systemLog()).toContain(`"msg":"admin paused generate_alerts tasks"`);

      const resumed = await api.post('/queue/generate_alerts/resume');
      expect(resumed.status).toBe(200);
      expect(resumed.body).toEqual({ type: 'generate_alerts', paused: false });
      expect(await waitForTask(t.http, token, taskId, 'completed')).toMatchObject({ attempts_made: 1 });
      expect((await queueDetail(t.http, token)).paused_types).toEqual([]);
      expect((await request(t.http).get('/metrics')).text).toContain('nagare_queue_paused{type="generate_alerts"} 0');
    });

    it('pauses one type only: other types run meanwhile', async () => {
      await api.post('/queue/pull_hosts/pause');
      try {
        const taskId = await queueAlerts();
        await waitForTask(t.http, token, taskId, 'completed');
      } finally {
        await api.post('/queue/pull_hosts/resume');
      }
    });
  });

  describe('DELETE /tasks/:task_id', () => {
    afterEach(async () => {
      await api.post('/queue/generate_alerts/resume');
    });

    it('cancels a waiting task: 200 cancelled, kept as cancelled, never run, and its webhook gets task.cancelled', async () => {
      await api.post('/queue/generate_alerts/pause');
      const taskId = await queueAlerts({ callback_url: receiver.url });
      const res = await api.delete(`/tasks/${encodeURIComponent(taskId)}`);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        task_id: taskId,
        type: 'generate_alerts',
        state: 'cancelled',
        params: { count: 1 },
        started_at: null,
        finished_at: expect.stringMatching(ISO_DATE),
      });
      expect(t.systemLog()).toContain(`"msg":"admin cancelled task ${taskId}"`);
      expect((await queueDetail(t.http, token)).queues.generate_alerts.paused).toBe(0);

      // A later task of the same type runs once resumed; the cancelled one never does.
      await api.post('/queue/generate_alerts/resume');
      const later = await queueAlerts();
      await waitForTask(t.http, token, later, 'completed');
      expect(await task(taskId)).toMatchObject({ state: 'cancelled', started_at: null });
      expect(starts(taskId)).toBe(0);

      const [delivery] = await waitFor('the task.cancelled webhook', () =>
        receiver.bodies.some((body) => body.task_id === taskId)
          ? receiver.bodies.filter((body) => body.task_id === taskId)
          : undefined,
      );
      expect(delivery).toEqual({
        event: 'task.cancelled',
        task_id: taskId,
        type: 'generate_alerts',
        params: { count: 1 },
        attempts: 0,
        finished_at: res.body.finished_at,
      });
    });

    it('answers 409 for a cancelled or completed task, 404 for an unknown one, 400 for a malformed id', async () => {
      await api.post('/queue/generate_alerts/pause');
      const cancelled = await queueAlerts();
      expect((await api.delete(`/tasks/${cancelled}`)).status).toBe(200);
      const again = await api.delete(`/tasks/${cancelled}`);
      expect(again.status).toBe(409);
      expect(again.body.message).toBe(
        `Task ${cancelled} is cancelled: only a waiting or delayed task can be cancelled`,
      );
      await api.post('/queue/generate_alerts/resume');

      const done = await queueAlerts();
      await waitForTask(t.http, token, done, 'completed');
      const finished = await api.delete(`/tasks/${done}`);
      expect(finished.status).toBe(409);
      expect(finished.body.message).toMatch(/is completed: only a waiting or delayed task/);
      expect(await task(done)).toMatchObject({ state: 'completed' });

      expect((await api.delete('/tasks/generate_alerts:99999999')).status).toBe(404);
      const malformed = await api.delete('/tasks/nonsense');
      expect(malformed.status).toBe(400);
      expect(malformed.body.message).toMatch(/^task_id must be/);
      expect((await request(t.http).delete(`/api/v1/tasks/${done}`)).status).toBe(401);
      const reader = apiAs(t, await tokenWithPrivilege(t, api, 1));
      expect((await reader.delete(`/tasks/${done}`)).status).toBe(403);
    });

    /**
     * One round: tasks queued while paused, then resumed and cancelled newest first, so the worker (taking the
     * oldest first) and the cancels meet in the queue. Asserts the round, returns how many were cancelled.
     */
    async function raceRound(cancelAfterMs: number): Promise<number> {
      await api.post('/queue/generate_alerts/pause');
      const ids = await Promise.all(Array.from({ length: RACERS }, () => queueAlerts()));
      // The service's own cancel, not HTTP: a supertest request takes longer than the worker needs for the queue.
      const cancellation = t.app.get(TaskCancellation);
      const resumed = api.post('/queue/generate_alerts/resume');
      await sleep(cancelAfterMs);
      const outcomes = await Promise.all(
        [...ids].reverse().map((id) =>
          cancellation.cancel(id, 'racer').then(
            () => 200,
            (error: Error) => (error instanceof ConflictError ? 409 : error.message),
          ),
        ),
      );
      expect((await resumed).status).toBe(200);
      const statuses = outcomes.reverse();
      expect(statuses.filter((status) => status !== 200 && status !== 409)).toEqual([]);
      const ends = await Promise.all(ids.map((id) => waitForTask(t.http, token, id, ['completed', 'cancelled'])));
      await sleep(200);
      ids.forEach((id, i) => {
        const won = statuses[i] === 200;
        expect({ id, state: ends[i].state, starts: starts(id) }).toEqual({
          id,
          state: won ? 'cancelled' : 'completed',
          starts: won ? 0 : 1,
        });
      });
      return statuses.filter((status) => status === 200).length;
    }

    it('cancelling while the worker picks tasks up ends each task one way: cancelled and never run, or run (409)', async () => {
      // Rounds until one where both outcomes happened, so the meeting point itself was raced; where they meet
      // depends on how far the worker got before the cancels, so each round gives it a little longer.
      const cancelledPerRound: number[] = [];
      for (const cancelAfterMs of [0, 1, 2, 3, 5, 8, 12, 20, 30, 40, 60]) {
        cancelledPerRound.push(await raceRound(cancelAfterMs));
        if (cancelledPerRound.some((cancelled) => cancelled > 0 && cancelled < RACERS)) break;
      }
      expect(cancelledPerRound.some((cancelled) => cancelled > 0 && cancelled < RACERS)).toBe(true);
    });
  });

  describe('the OpenAPI document', () => {
    it('documents every answer the suite got', () => {
      expect(documented.checked).toBeGreaterThan(100);
      expect(documented.problems()).toEqual([]);
    });

    it("shows the controls' own 400 and 409 as examples, as the service answers them", async () => {
      const doc = (await request(t.http).get('/docs-json')).body;
      const example = (path: string, method: string, status: string) =>
        doc.paths[path][method].responses[status].content['application/json'].example.message;
      const unknownType = await api.post('/queue/pull_everything/pause');
      for (const path of ['/api/v1/queue/{type}/pause', '/api/v1/queue/{type}/resume']) {
        expect(example(path, 'post', '400')).toBe(unknownType.body.message);
      }
      expect(example('/api/v1/tasks/{task_id}', 'delete', '409')).toMatch(
        /^Task pull_hosts:42 is active: only a waiting or delayed task can be cancelled$/,
      );
      expect(Object.keys(doc.paths['/api/v1/tasks/{task_id}'].delete.responses).sort()).toEqual([
        '200',
        '400',
        '401',
        '403',
        '404',
        '409',
        '503',
      ]);
    });
  });
});
