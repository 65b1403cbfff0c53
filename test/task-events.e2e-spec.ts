import { jest } from '@jest/globals';
import type { Queue } from 'bull';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TaskEvents } from '../src/queue/task-events.service';
import { type Api, apiAs, createMonitor, tokenWithPrivilege, unreachableUrl } from './support/inventory-factory';
import { bullQueue, type SharedQueue, sharedQueue, type TaskJson, waitForTask } from './support/queue-helpers';
import { freePort } from './support/redis-server';
import { ServiceProcess, waitFor } from './support/service-process';
import { startTestApp, type TestApp, testEnv } from './support/test-app';
import { ZabbixInventoryFixture } from './support/zabbix-inventory-fixture';
import { SlowZabbixProxy } from './support/zabbix-fakes';

jest.setTimeout(60_000);

const HOSTS = 800; // eight batches of 100 hosts, two written at once on PostgreSQL: progress moves four times or more

interface SseEvent {
  event: string;
  data: Record<string, unknown>;
}

interface SseStream {
  status: number;
  headers: Headers;
  /** Events as they arrive. */
  events: SseEvent[];
  /** `: ...` comment lines seen (the heartbeats). */
  comments: string[];
  /** Resolves when the server ends the stream. */
  ended: Promise<void>;
  /** The JSON body of a response that is not a stream. */
  json?: Record<string, unknown>;
  abort(): void;
}

/**
 * The API in this process (role api: it runs no task) and a worker in another one (`node dist/main.js`, role
 * worker), on one Redis prefix and one database: every state and progress change the stream shows crossed
 * process boundaries through Redis.
 */
describe('live task progress over Server-Sent Events (e2e)', () => {
  let shared: SharedQueue;
  let t: TestApp;
  let worker: ServiceProcess;
  let workerDir: string;
  let fixture: ZabbixInventoryFixture;
  let proxy: SlowZabbixProxy;
  let baseUrl: string;
  let token: string;
  let api: Api;
  let pullHosts: Queue;
  let monitorId: number;
  let completedTask: TaskJson;

  beforeAll(async () => {
    shared = await sharedQueue();
    t = await startTestApp({ ...shared.env, NAGARE_ROLE: 'api' });
    await new Promise<void>((resolve) => t.http.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(t.http.address() as AddressInfo).port}`;
    token = await t.login();
    api = apiAs(t, token);
    pullHosts = bullQueue(shared.redisUrl, shared.prefix, 'pull_hosts');

    workerDir = mkdtempSync(join(tmpdir(), 'nagare-sse-worker-'));
    const env = testEnv(workerDir, shared.database, {
      ...shared.env,
      NAGARE_ROLE: 'worker',
      PORT: String(await freePort()),
      HOST: '127.0.0.1',
    });
    worker = ServiceProcess.spawn({ env, cwd: workerDir });
    await waitFor(
      'the worker process to take tasks',
      () => {
        if (worker.status) throw new Error(`the worker exited: ${JSON.stringify(worker.status)}\n${worker.stderr}`);
        return worker.systemLog().includes('"msg":"worker takes tasks"') ? true : undefined;
      },
      30_000,
    );

    fixture = await ZabbixInventoryFixture.start(HOSTS, 1);
    proxy = await SlowZabbixProxy.start(fixture.url);
    monitorId = (await createMonitor(api, { url: proxy.url, password: fixture.password })).id;
  });
  afterAll(async () => {
    await worker?.stop('SIGTERM').catch(() => worker.stop('SIGKILL'));
    await pullHosts?.close();
    await t?.close();
    await proxy?.close();
    await fixture?.close();
    await shared?.close();
    if (workerDir) rmSync(workerDir, { recursive: true, force: true });
  });

  /** GET /tasks/:task_id/events, read as it streams. */
  async function openEvents(taskId: string, bearer: string | null = token, base = baseUrl): Promise<SseStream> {
    const controller = new AbortController();
    const res = await fetch(`${base}/api/v1/tasks/${encodeURIComponent(taskId)}/events`, {
      headers: bearer ? { Authorization: `Bearer ${bearer}`, Accept: 'text/event-stream' } : {},
      signal: controller.signal,
    });
    const stream: SseStream = {
      status: res.status,
      headers: res.headers,
      events: [],
      comments: [],
      ended: Promise.resolve(),
      abort: () => controller.abort(),
    };
    if (!(res.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
      stream.json = (await res.json()) as Record<string, unknown>;
      return stream;
    }
    stream.ended = (async () => {
      const decoder = new TextDecoder();
      let buffer = '';
      try {
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          buffer += decoder.decode(chunk, { stream: true });
          let end: number;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const lines = block.split('\n');
            stream.comments.push(...lines.filter((line) => line.startsWith(':')));
            const event = lines.find((line) => line.startsWith('event: '))?.slice(7);
            const data = lines.find((line) => line.startsWith('data: '))?.slice(6);
            if (event && data) stream.events.push({ event, data: JSON.parse(data) as Record<string, unknown> });
          }
        }
      } catch (error) {
        if ((error as Error).name !== 'AbortError') throw error;
      }
    })();
    return stream;
  }

  /** Waits for the server to end the stream, failing with what was received when it does not. */
  async function ended(stream: SseStream, timeoutMs = 30_000): Promise<SseEvent[]> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`the stream did not end within ${timeoutMs} ms; got ${JSON.stringify(stream.events)}`)),
        timeoutMs,
      );
    });
    try {
      await Promise.race([stream.ended, late]);
    } finally {
      clearTimeout(timer);
      stream.abort();
    }
    return stream.events;
  }

  async function queuePull(): Promise<string> {
    const res = await api.post(`/monitors/${monitorId}/hosts/pull-async`);
    expect(res.status).toBe(202);
    return res.body.task_id as string;
  }

  it('streams a task run by another process: waiting, active, rising progress, then completed with its result', async () => {
    // Every batch of items takes a while, so each quarter of the progress is seen.
    proxy.delay('item.get', 400);
    await pullHosts.pause(); // globally: the worker takes nothing until resume
    let stream: SseStream;
    let taskId: string;
    try {
      taskId = await queuePull();
      stream = await openEvents(taskId);
      expect(stream.status).toBe(200);
      expect(stream.headers.get('content-type')).toMatch(/^text\/event-stream/);
      expect(stream.headers.get('cache-control')).toMatch(/no-cache/);
      expect(stream.headers.get('x-accel-buffering')).toBe('no');
      await waitFor('the first event', () => (stream.events.length > 0 ? true : undefined), 10_000);
    } finally {
      await pullHosts.resume();
    }
    const events = await ended(stream);
    proxy.delay('item.get', 0);

    expect(events[0]).toEqual({ event: 'state', data: expect.objectContaining({ task_id: taskId, state: 'waiting' }) });
    const states = events.filter((e) => e.event === 'state').map((e) => e.data.state);
    expect(states).toEqual(['waiting', 'active']);
    const progress = events.filter((e) => e.event === 'progress').map((e) => e.data.progress as number);
    expect(progress.length).toBeGreaterThanOrEqual(3);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(new Set(progress).size).toBe(progress.length);
    expect(progress.filter((p) => p > 0 && p < 100).length).toBeGreaterThanOrEqual(2);
    expect(progress[progress.length - 1]).toBe(100);

    const last = events[events.length - 1];
    expect(last.event).toBe('completed');
    expect(last.data).toMatchObject({
      task_id: taskId,
      state: 'completed',
      progress: 100,
      attempts_made: 1,
      error: null,
      result: expect.objectContaining({ added: HOSTS, total: HOSTS }),
    });
    // The order: states and progress before the one final event.
    expect(events.filter((e) => e.event === 'completed')).toHaveLength(1);
    expect(events.findIndex((e) => e.data.state === 'active')).toBeLessThan(
      events.findIndex((e) => e.event === 'progress'),
    );
    // The worker process ran it, not this API process.
    // (pino writes asynchronously: the line may land a moment after the task ended)
    await waitFor(
      `the worker process to log the completion of ${taskId}`,
      () => (worker.systemLog().includes(`worker completed task ${taskId}`) ? true : undefined),
      10_000,
    );
    expect(t.app.get(TaskEvents).openStreams).toBe(0);
    completedTask = last.data as unknown as TaskJson;
  });

  it("is woken by the worker's events through Redis pub/sub, not only by its poll", async () => {
    const taskEvents = t.app.get(TaskEvents);
    const savedPoll = taskEvents.pollMs;
    taskEvents.pollMs = 120_000; // no poll within the test: only Bull's global events can move the stream on
    proxy.delay('item.get', 300);
    try {
      const taskId = await queuePull();
      const events = await ended(await openEvents(taskId), 20_000);
      const progress = events.filter((e) => e.event === 'progress').map((e) => e.data.progress as number);
      expect(progress.filter((p) => p > 0 && p < 100).length).toBeGreaterThanOrEqual(2);
      expect(events[events.length - 1]).toMatchObject({ event: 'completed', data: { task_id: taskId } });
    } finally {
      taskEvents.pollMs = savedPoll;
      proxy.delay('item.get', 0);
    }
  });

  it('sends a task that has already ended its final event at once, and ends the stream', async () => {
    const started = Date.now();
    const stream = await openEvents(completedTask.task_id);
    const events = await ended(stream, 5_000);
    expect(events).toEqual([{ event: 'completed', data: completedTask }]);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('ends a task that fails for good with a dead event carrying the error', async () => {
    const broken = (await createMonitor(api, { url: await unreachableUrl() })).id;
    const res = await api.post(`/monitors/${broken}/hosts/pull-async`);
    const taskId = res.body.task_id as string;
    const stream = await openEvents(taskId);
    const events = await ended(stream);
    const last = events[events.length - 1];
    expect(last).toEqual({
      event: 'dead',
      data: expect.objectContaining({
        task_id: taskId,
        state: 'dead',
        attempts_made: 4,
        error: expect.stringMatching(/unreachable/i),
      }),
    });
    expect(events.filter((e) => ['completed', 'dead', 'failed'].includes(e.event))).toHaveLength(1);

    // Streamed again once dead: the dead event alone.
    const again = await ended(await openEvents(taskId), 5_000);
    expect(again).toEqual([{ event: 'dead', data: expect.objectContaining({ task_id: taskId, state: 'dead' }) }]);
  });

  it('answers an unknown task 404, a malformed id 400 and no token 401, as JSON; privilege 1 may stream', async () => {
    const unknown = await openEvents('pull_hosts:987654321');
    expect(unknown.status).toBe(404);
    expect(unknown.json).toMatchObject({ statusCode: 404, message: 'Task pull_hosts:987654321 not found' });
    const malformed = await openEvents('pull_hosts:abc');
    expect(malformed.status).toBe(400);
    expect(malformed.json).toMatchObject({ statusCode: 400, message: expect.stringMatching(/task_id must be/) });
    const anonymous = await openEvents(completedTask.task_id, null);
    expect(anonymous.status).toBe(401);
    expect(anonymous.json).toMatchObject({ statusCode: 401 });

    const reader = await tokenWithPrivilege(t, api, 1);
    const allowed = await openEvents(completedTask.task_id, reader);
    expect(allowed.status).toBe(200);
    expect(await ended(allowed, 5_000)).toEqual([{ event: 'completed', data: completedTask }]);
  });

  describe('with short heartbeats and a short stream life', () => {
    let events: TaskEvents;
    const saved = { heartbeatMs: 0, maxStreamMs: 0 };

    beforeAll(async () => {
      events = t.app.get(TaskEvents);
      Object.assign(saved, { heartbeatMs: events.heartbeatMs, maxStreamMs: events.maxStreamMs });
      events.heartbeatMs = 200;
      events.maxStreamMs = 1500;
      await pullHosts.pause();
    });
    afterAll(async () => {
      Object.assign(events, saved);
      await pullHosts.resume();
    });

    it('keeps an idle stream alive with comments, then ends it with a timeout event at its longest life', async () => {
      const taskId = await queuePull();
      const stream = await openEvents(taskId);
      const received = await ended(stream, 10_000);
      expect(received.map((e) => e.event)).toEqual(['state', 'timeout']);
      expect(received[1].data).toMatchObject({ task_id: taskId, state: 'waiting' });
      expect(stream.comments.length).toBeGreaterThanOrEqual(3);
      expect(new Set(stream.comments)).toEqual(new Set([': keep-alive']));
      expect((await waitForTask(t.http, token, taskId, 'waiting')).state).toBe('waiting');
    });

    it('ends the stream with a gone event when the task disappears', async () => {
      const taskId = await queuePull();
      const stream = await openEvents(taskId);
      await waitFor('the first event', () => (stream.events.length > 0 ? true : undefined), 10_000);
      await (await pullHosts.getJob(taskId.split(':')[1]))!.remove();
      const received = await ended(stream, 10_000);
      expect(received.map((e) => e.event)).toEqual(['state', 'gone']);
      expect(received[1].data).toEqual({ task_id: taskId, message: `Task ${taskId} not found` });
    });

    it('ends its streams when the API process shuts down, without holding the shutdown up', async () => {
      const other = await startTestApp({ ...shared.env, NAGARE_ROLE: 'api' });
      try {
        await new Promise<void>((resolve) => other.http.listen(0, '127.0.0.1', resolve));
        const otherUrl = `http://127.0.0.1:${(other.http.address() as AddressInfo).port}`;
        const taskId = await queuePull();
        const stream = await openEvents(taskId, token, otherUrl);
        await waitFor('the first event', () => (stream.events.length > 0 ? true : undefined), 10_000);
        const started = Date.now();
        await other.close();
        await ended(stream, 10_000);
        expect(Date.now() - started).toBeLessThan(10_000);
        expect(stream.events.map((e) => e.event)).toEqual(['state']);
      } finally {
        await other.close().catch(() => undefined);
      }
    });

    it('stops following the task when the client goes away', async () => {
      events.maxStreamMs = 60_000;
      const taskId = await queuePull();
      const stream = await openEvents(taskId);
      await waitFor('the first event', () => (stream.events.length > 0 ? true : undefined), 10_000);
      expect(events.openStreams).toBe(1);
      stream.abort();
      await waitFor('the stream to be closed', () => (events.openStreams === 0 ? true : undefined), 10_000);
    });
  });
});
