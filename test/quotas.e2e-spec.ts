import { jest } from '@jest/globals';
import type { Job, Queue } from 'bull';
import Redis from 'ioredis';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import {
  API,
  apiAs,
  createMonitor,
  seeder,
  tokenWithPrivilege,
  unique,
  unreachableUrl,
} from './support/inventory-factory';
import { DeadLetters } from '../src/queue/dead-letters.service';
import type { TaskData } from '../src/queue/task-types';
import { bullQueue, sharedQueue, type SharedQueue } from './support/queue-helpers';
import { startTestApp, type TestApp } from './support/test-app';
import { sleep } from './support/time';

jest.setTimeout(60_000);

const ENQUEUES_PER_MINUTE = 5;
const STREAMS = 2;

interface OpenStream {
  status: number;
  retryAfter: string | null;
  body?: Record<string, unknown>;
  close(): void;
}

/** GET /tasks/:task_id/events on a listening app, held open (a 200 is a live stream) until close(). */
async function openStream(base: string, token: string, taskId: string): Promise<OpenStream> {
  const controller = new AbortController();
  const res = await fetch(`${base}${API}/tasks/${encodeURIComponent(taskId)}/events`, {
    headers: { Authorization: `Bearer ${token}`, Accept: 'text/event-stream' },
    signal: controller.signal,
  });
  const streaming = (res.headers.get('content-type') ?? '').startsWith('text/event-stream');
  const body = streaming ? undefined : ((await res.json()) as Record<string, unknown>);
  return { status: res.status, retryAfter: res.headers.get('retry-after'), body, close: () => controller.abort() };
}

async function listening(t: TestApp): Promise<string> {
  await new Promise<void>((resolve) => t.http.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(t.http.address() as AddressInfo).port}`;
}

describe('per-user quotas, shared by two API instances on one Redis (e2e)', () => {
  let shared: SharedQueue;
  let a: TestApp;
  let b: TestApp;
  let baseA: string;
  let baseB: string;
  let admin: string;
  let alerts: Queue;
  let redis: Redis;
  const opened: OpenStream[] = [];

  beforeAll(async () => {
    shared = await sharedQueue({
      NAGARE_ROLE: 'api',
      QUOTA_ENQUEUE_PER_MINUTE: String(ENQUEUES_PER_MINUTE),
      QUOTA_EVENT_STREAMS: String(STREAMS),
    });
    a = await startTestApp(shared.env);
    b = await startTestApp(shared.env);
    [baseA, baseB] = [await listening(a), await listening(b)];
    admin = await a.login();
    expect((await apiAs(a, admin).post('/hosts', { name: `host-${unique()}` })).status).toBe(201);
    alerts = bullQueue(shared.redisUrl, shared.prefix, 'generate_alerts');
    redis = new Redis(shared.redisUrl);
  });
  afterAll(async () => {
    for (const stream of opened) stream.close();
    redis?.disconnect();
    await alerts?.close();
    await b?.close();
    await a?.close();
    await shared?.close();
  });

  const enqueue = (t: TestApp, token: string) =>
    request(t.http).post(`${API}/alerts/generate-test-async?count=1`).set('Authorization', `Bearer ${token}`);

  async function stream(base: string, token: string, taskId: string): Promise<OpenStream> {
    const opening = await openStream(base, token, taskId);
    opened.push(opening);
    return opening;
  }

  let taskId: string;
  let writer: string;

  it('refuses one user past the enqueue rate, counted across both instances, with 429 and Retry-After', async () => {
    writer = await tokenWithPrivilege(a, apiAs(a, admin), 2);
    const within = [];
    for (let i = 0; i < ENQUEUES_PER_MINUTE; i++) within.push(await enqueue(i % 2 === 0 ? a : b, writer));
    expect(within.map((res) => res.status)).toEqual(Array(ENQUEUES_PER_MINUTE).fill(202));
    taskId = within[0].body.task_id as string;

    for (const t of [a, b]) {
      const refused = await enqueue(t, writer);
      expect(refused.status).toBe(429);
      const retryAfter = Number(refused.headers['retry-after']);
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect(refused.body).toMatchObject({ statusCode: 429, retry_after: retryAfter });
      expect(refused.body.message).toMatch(/Too many tasks queued/);
    }
    expect(await alerts.getWaitingCount()).toBe(ENQUEUES_PER_MINUTE);

    // Another user still queues, on either instance.
    expect((await enqueue(b, admin)).status).toBe(202);
    expect((await enqueue(a, admin)).status).toBe(202);
  });

  it('counts DELETE ?on_monitor=true, which queues a push task, against the same rate; a plain DELETE is not counted', async () => {
    const api = apiAs(a, writer);
    const monitor = await createMonitor(apiAs(a, admin), { url: await unreachableUrl() });
    const onMonitor = await seeder(a).syncedHost(monitor.id);
    const refused = await api.delete(`/hosts/${onMonitor.id}?on_monitor=true`);
    expect(refused.status).toBe(429);
    expect(refused.body.message).toMatch(/Too many tasks queued/);
    expect(await seeder(a).hosts.countBy({ id: onMonitor.id })).toBe(1);
    expect((await apiAs(a, admin).delete(`/hosts/${onMonitor.id}?on_monitor=true`)).status).toBe(202);

    for (let i = 0; i <= ENQUEUES_PER_MINUTE; i++) {
      const created = await api.post('/hosts', { name: `plain-${unique()}` });
      expect((await api.delete(`/hosts/${created.body.id}`)).status).toBe(204);
    }
  });

  it('counts a dead-letter retry, of one letter or in bulk, against the same rate; a refused retry keeps the letter', async () => {
    const letter = { id: String(Date.now()), data: { type: 'generate_alerts', params: { count: 1 } }, attemptsMade: 4 };
    await a.app.get(DeadLetters).bury(letter as unknown as Job<TaskData>, 'boom');
    const taskId = `generate_alerts:${letter.id}`;
    const api = apiAs(a, writer);

    for (const refused of [
      await api.post(`/queue/dead/${taskId}/retry`),
      await api.post('/queue/dead/retry', { type: 'generate_alerts' }),
    ]) {
      expect(refused.status).toBe(429);
      expect(refused.body.message).toMatch(/Too many tasks queued/);
    }
    expect((await api.get(`/queue/dead/${taskId}`)).status).toBe(200);
    const retried = await apiAs(b, admin).post(`/queue/dead/${taskId}/retry`);
    expect(retried.status).toBe(202);
    expect(retried.body.retried_from).toBe(taskId);
  });

  it("caps one user's open event streams across both instances, and frees a slot when a stream closes", async () => {
    const reader = await tokenWithPrivilege(a, apiAs(a, admin), 1);
    const first = await stream(baseA, reader, taskId);
    const second = await stream(baseB, reader, taskId);
    expect([first.status, second.status]).toEqual([200, 200]);

    for (const base of [baseA, baseB]) {
      const refused = await stream(base, reader, taskId);
      expect(refused.status).toBe(429);
      expect(Number(refused.retryAfter)).toBeGreaterThanOrEqual(1);
      expect(refused.body).toMatchObject({ statusCode: 429, retry_after: Number(refused.retryAfter) });
    }
    // Another user is not held back by this one's streams.
    expect((await stream(baseB, admin, taskId)).status).toBe(200);

    first.close();
    let again = await stream(baseB, reader, taskId);
    for (const deadline = Date.now() + 5000; again.status !== 200 && Date.now() < deadline;) {
      await sleep(100);
      again = await stream(baseB, reader, taskId);
    }
    expect(again.status).toBe(200);
    expect((await stream(baseA, reader, taskId)).status).toBe(429);
  });

  it('does not count the lapsed slots of a process that died', async () => {
    const reader = await tokenWithPrivilege(a, apiAs(a, admin), 1);
    const me = (await request(a.http).get(`${API}/auth/me`).set('Authorization', `Bearer ${reader}`)).body;
    const slots = `${shared.prefix}:quota:streams:${me.id}`;
    // What a killed process leaves: slots whose lease (renewed every 20 s while their stream lives) ran out.
    const [seconds] = await redis.time();
    await redis.zadd(slots, Number(seconds) * 1000 - 1000, 'dead-1', Number(seconds) * 1000 - 1, 'dead-2');
    const live = [await stream(baseA, reader, taskId), await stream(baseB, reader, taskId)];
    expect(live.map((s) => s.status)).toEqual([200, 200]);
    // A live stream's slot is a lease on Redis's clock, ending about a minute from now.
    const leases = await redis.zrange(slots, 0, -1, 'WITHSCORES');
    expect(leases).toHaveLength(2 * STREAMS);
    for (let i = 1; i < leases.length; i += 2) {
      const left = Number(leases[i]) - Number(seconds) * 1000;
      expect(left).toBeGreaterThan(50_000);
      expect(left).toBeLessThanOrEqual(61_000);
    }
  });
});
