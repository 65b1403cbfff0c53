import { jest } from '@jest/globals';
import type { Queue } from 'bull';
import { createHmac } from 'node:crypto';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { DeadLetters } from '../src/queue/dead-letters.service';
import {
  type Api,
  apiAs,
  createHost,
  createMonitor,
  tokenWithPrivilege,
  unreachableUrl,
} from './support/inventory-factory';
import {
  bullQueue,
  queueDetail,
  queueStats,
  sharedQueue,
  type SharedQueue,
  waitForTask,
} from './support/queue-helpers';
import { waitFor } from './support/service-process';
import { startTestApp, type TestApp } from './support/test-app';
import { ZabbixInventoryFixture } from './support/zabbix-inventory-fixture';
import { ISO_DATE, sleep } from './support/time';
import { TASK_TYPES } from '../src/common/task-type-names';

jest.setTimeout(60_000);

const SECRET = 'webhook-test-secret-0123456789abcdef';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface Delivery {
  path: string;
  headers: IncomingHttpHeaders;
  raw: Buffer;
  body: Record<string, unknown>;
  at: number;
}

type Answer = (req: IncomingMessage, res: ServerResponse, nth: number) => void;

/** A real HTTP receiver on 127.0.0.1 that records every request with its raw body; each path answers as told. */
class Receiver {
  readonly received: Delivery[] = [];
  private readonly answers = new Map<string, Answer>();
  private readonly hung: ServerResponse[] = [];

  private constructor(private readonly server: Server) {}

  static async start(): Promise<Receiver> {
    const ref: { receiver?: Receiver } = {};
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const raw = Buffer.concat(chunks);
        const path = req.url ?? '/';
        let body: Record<string, unknown> = {};
        try {
          body = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
        } catch {
          // recorded raw; the test says what it expected
        }
        const receiver = ref.receiver as Receiver;
        receiver.received.push({ path, headers: req.headers, raw, body, at: Date.now() });
        const nth = receiver.on(path).length;
        const answer = receiver.answers.get(path) ?? ((_q, s) => s.writeHead(204).end());
        answer(req, res, nth);
      });
    });
    const receiver = new Receiver(server);
    ref.receiver = receiver;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return receiver;
  }

  get base(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  answer(path: string, answer: Answer): string {
    this.answers.set(path, answer);
    return `${this.base}${path}`;
  }

  hang(path: string): string {
    return this.answer(path, (_req, res) => this.hung.push(res));
  }

  on(path: string): Delivery[] {
    return this.received.filter((delivery) => delivery.path === path);
  }

  async close(): Promise<void> {
    for (const res of this.hung) res.destroy();
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

let pathCounter = 0;
const freshPath = (name: string) => `/${name}-${++pathCounter}`;

const signatureOf = (raw: Buffer) => `sha256=${createHmac('sha256', SECRET).update(raw).digest('hex')}`;

describe('task result webhooks (e2e)', () => {
  let receiver: Receiver;

  beforeAll(async () => {
    receiver = await Receiver.start();
  });
  afterAll(async () => {
    await receiver?.close();
  });

  describe('on a service that runs its own workers, with 127.0.0.1 in webhook.allowed_hosts', () => {
    let t: TestApp;
    let token: string;
    let api: Api;
    let fixture: ZabbixInventoryFixture;
    let webhookQueue: Queue;

    beforeAll(async () => {
      t = await startTestApp({
        WEBHOOK_SECRET: SECRET,
        WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
        WEBHOOK_MAX_RETRIES: '2',
        WEBHOOK_BACKOFF_MS: '100',
        WEBHOOK_TIMEOUT_MS: '1500',
        TASK_MAX_RETRIES: '0',
        TASK_BACKOFF_MS: '50',
      });
      token = await t.login();
      api = apiAs(t, token);
      fixture = await ZabbixInventoryFixture.start(2, 1);
      webhookQueue = bullQueue(process.env.NAGARE_TEST_REDIS_URL as string, t.config.queue.prefix, 'webhooks');
    });
    afterAll(async () => {
      await webhookQueue?.close();
      await t?.close();
      await fixture?.close();
    });

    async function deadWebhooks(): Promise<Record<string, unknown>[]> {
      const res = await api.get('/webhooks/dead', { limit: 500 });
      expect(res.status).toBe(200);
      return res.body.items as Record<string, unknown>[];
    }

    async function monitorThatWorks(): Promise<number> {
      return (await createMonitor(api, { url: fixture.url, password: fixture.password })).id;
    }

    it('POSTs task.completed with the result, the headers and a signature over the raw body', async () => {
      const monitorId = await monitorThatWorks();
      const path = freshPath('completed');
      const url = receiver.answer(path, (_req, res) => res.writeHead(200).end('ok'));
      let stateAtArrival: string | undefined;
      receiver.answer(path, (_req, res) => {
        // What a receiver sees if it looks the task up the moment the callback arrives.
        request(t.http)
          .get(`/api/v1/tasks/${encodeURIComponent(taskId)}`)
          .set('Authorization', `Bearer ${token}`)
          .then(
            (task) => {
              stateAtArrival = task.body.state as string;
              res.writeHead(200).end('ok');
            },
            () => res.writeHead(500).end(),
          );
      });
      const res = await api.post(`/monitors/${monitorId}/hosts/pull-async`, { callback_url: url });
      expect(res.status).toBe(202);
      const taskId = res.body.task_id as string;
      const task = await waitForTask(t.http, token, taskId, 'completed');

      const [delivery] = await waitFor(
        'the completed callback',
        () => (receiver.on(path).length ? receiver.on(path) : undefined),
        15_000,
      );
      expect(delivery.body).toEqual({
        event: 'task.completed',
        task_id: taskId,
        type: 'pull_hosts',
        params: { monitor_id: monitorId },
        result: task.result,
        attempts: 1,
        finished_at: expect.stringMatching(ISO_DATE),
      });
      expect(task.result).toBeTruthy();
      expect(delivery.headers['content-type']).toBe('application/json');
      expect(delivery.headers['x-nagare-event']).toBe('task.completed');
      expect(delivery.headers['x-nagare-delivery']).toMatch(UUID);
      expect(delivery.headers['x-nagare-signature']).toBe(signatureOf(delivery.raw));
      expect(delivery.headers['x-nagare-signature']).not.toBe(
        `sha256=${createHmac('sha256', 'another-secret-entirely').update(delivery.raw).digest('hex')}`,
      );
      await waitFor('the receiver to look the task up', () => stateAtArrival);
      expect(stateAtArrival).toBe('completed');
      await sleep(1000);
      expect(receiver.on(path)).toHaveLength(1);
    });

    it('POSTs task.dead with the error when a task fails for good, once, and a second bury sends nothing more', async () => {
      const monitorId = (await createMonitor(api, { url: await unreachableUrl() })).id;
      const path = freshPath('dead');
      const url = receiver.answer(path, (_req, res) => res.writeHead(202).end());
      const res = await api.post(`/monitors/${monitorId}/hosts/pull-async`, { callback_url: url });
      expect(res.status).toBe(202);
      const taskId = res.body.task_id as string;
      await waitForTask(t.http, token, taskId, 'dead');

      const [delivery] = await waitFor(
        'the dead callback',
        () => (receiver.on(path).length ? receiver.on(path) : undefined),
        15_000,
      );
      expect(delivery.body).toEqual({
        event: 'task.dead',
        task_id: taskId,
        type: 'pull_hosts',
        params: { monitor_id: monitorId },
        error: expect.any(String),
        attempts: 1,
        finished_at: expect.stringMatching(ISO_DATE),
      });
      expect((delivery.body.error as string).length).toBeGreaterThan(0);
      expect(delivery.headers['x-nagare-event']).toBe('task.dead');
      expect(delivery.headers['x-nagare-signature']).toBe(signatureOf(delivery.raw));

      // Burying the same task again (what a sweep after a crash does) queues no second delivery.
      const pullHosts = bullQueue(process.env.NAGARE_TEST_REDIS_URL as string, t.config.queue.prefix, 'pull_hosts');
      try {
        const job = await pullHosts.getJob(taskId.split(':')[1]);
        expect(job).toBeTruthy();
        await t.app.get(DeadLetters).bury(job!, 'buried again');
      } finally {
        await pullHosts.close();
      }
      expect(await webhookQueue.getJob(`task.dead:${taskId}`)).toBeTruthy();
      await sleep(1500);
      expect(receiver.on(path)).toHaveLength(1);
    });

    it('a dead letter retried keeps its callback_url: the new task is announced too', async () => {
      const monitorId = (await createMonitor(api, { url: await unreachableUrl() })).id;
      const secret = 'aB3dE5fG7hJ9kL1mN3pQ5rS7';
      const path = `${freshPath('retried')}/${secret}?code=s3cr3t-code`;
      const url = receiver.answer(path, (_req, res) => res.writeHead(200).end());
      const first = (await api.post(`/monitors/${monitorId}/hosts/pull-async`, { callback_url: url })).body
        .task_id as string;
      await waitForTask(t.http, token, first, 'dead');

      // Readers see where it calls back, not the secrets in the URL; the retry below still calls the URL as given.
      const reader = apiAs(t, await tokenWithPrivilege(t, api, 1));
      const shown = url.replace(secret, '[redacted]').replace('s3cr3t-code', '[redacted]');
      const one = await reader.get(`/queue/dead/${encodeURIComponent(first)}`);
      expect(one.body).toMatchObject({ task_id: first, callback_url: shown });
      const page = await reader.get('/queue/dead', { limit: 500 });
      expect(page.body.items).toEqual(
        expect.arrayContaining([expect.objectContaining({ task_id: first, callback_url: shown })]),
      );
      for (const body of [one.text, page.text]) {
        expect(body).not.toContain(secret);
        expect(body).not.toContain('s3cr3t-code');
      }
      const retried = await api.post(`/queue/dead/${encodeURIComponent(first)}/retry`);
      expect(retried.status).toBe(202);
      const second = retried.body.task_id as string;
      expect(second).not.toBe(first);
      await waitForTask(t.http, token, second, 'dead');
      await waitFor('both callbacks', () => (receiver.on(path).length >= 2 ? true : undefined), 15_000);
      expect(
        receiver
          .on(path)
          .map((d) => d.body.task_id)
          .sort(),
      ).toEqual([first, second].sort());
    });

    it('generate-test-async takes a callback_url too, beside ?count', async () => {
      await createHost(api);
      const path = freshPath('alerts');
      const url = receiver.answer(path, (_req, res) => res.writeHead(200).end());
      const res = await api.post('/alerts/generate-test-async?count=2', { callback_url: url });
      expect(res.status).toBe(202);
      const [delivery] = await waitFor(
        'the alerts callback',
        () => (receiver.on(path).length ? receiver.on(path) : undefined),
        15_000,
      );
      expect(delivery.body).toMatchObject({
        event: 'task.completed',
        task_id: res.body.task_id,
        type: 'generate_alerts',
        params: { count: 2 },
        result: { count: 2 },
      });
    });

    it('retries a receiver that answers 500 with backoff, same delivery id and signature, until it answers 200', async () => {
      const monitorId = await monitorThatWorks();
      const path = freshPath('flaky');
      const url = receiver.answer(path, (_req, res, nth) => res.writeHead(nth <= 2 ? 500 : 200).end());
      const res = await api.post(`/monitors/${monitorId}/hosts/pull-async`, { callback_url: url });
      expect(res.status).toBe(202);
      await waitFor('three attempts', () => (receiver.on(path).length >= 3 ? true : undefined), 20_000);
      await sleep(1000);
      const attempts = receiver.on(path);
      expect(attempts).toHaveLength(3);
      expect(new Set(attempts.map((a) => a.headers['x-nagare-delivery'])).size).toBe(1);
      expect(new Set(attempts.map((a) => a.raw.toString('utf8'))).size).toBe(1);
      for (const attempt of attempts) expect(attempt.headers['x-nagare-signature']).toBe(signatureOf(attempt.raw));
      // exponential backoff from 100 ms: at least 100 ms, then at least 200 ms between attempts
      expect(attempts[1].at - attempts[0].at).toBeGreaterThanOrEqual(90);
      expect(attempts[2].at - attempts[1].at).toBeGreaterThanOrEqual(190);
      expect((await deadWebhooks()).some((letter) => letter.task_id === res.body.task_id)).toBe(false);
    });

    it('does not follow a 302: the target is never called and the delivery goes to the webhook dead letters', async () => {
      const monitorId = await monitorThatWorks();
      const target = freshPath('redirect-target');
      receiver.answer(target, (_req, res) => res.writeHead(200).end());
      const path = freshPath('redirect');
      const url = receiver.answer(path, (_req, res) =>
        res.writeHead(302, { Location: `${receiver.base}${target}` }).end(),
      );
      const res = await api.post(`/monitors/${monitorId}/hosts/pull-async`, { callback_url: url });
      const taskId = res.body.task_id as string;
      const dead = await pollDead(taskId);
      expect(dead).toEqual({
        delivery_id: expect.stringMatching(UUID),
        event: 'task.completed',
        task_id: taskId,
        url,
        error: expect.stringMatching(/302.*not followed/),
        attempts: 1,
        failed_at: expect.stringMatching(ISO_DATE),
      });
      expect(receiver.on(path)).toHaveLength(1);
      expect(receiver.on(target)).toHaveLength(0);
    });

    it('gives up on a receiver that does not answer within webhook.timeout_ms, after 1 + max_retries attempts', async () => {
      const monitorId = await monitorThatWorks();
      const path = freshPath('silent');
      const url = receiver.hang(path);
      const res = await api.post(`/monitors/${monitorId}/hosts/pull-async`, { callback_url: url });
      const taskId = res.body.task_id as string;
      const dead = await pollDead(taskId, 40_000);
      expect(dead).toMatchObject({ event: 'task.completed', url, attempts: 3 });
      expect(dead.error).toMatch(/no answer within 1500 ms/);
      expect(receiver.on(path)).toHaveLength(3);
    }, 60_000);

    it('keeps a delivery refused for good (500 every time) in GET /webhooks/dead, for privilege 2 only', async () => {
      const monitorId = await monitorThatWorks();
      const path = freshPath('broken');
      const url = receiver.answer(path, (_req, res) => res.writeHead(500).end());
      const res = await api.post(`/monitors/${monitorId}/hosts/pull-async`, { callback_url: url });
      const taskId = res.body.task_id as string;
      const dead = await pollDead(taskId);
      expect(dead).toMatchObject({ event: 'task.completed', url, attempts: 3, error: 'receiver answered 500' });
      expect(receiver.on(path)).toHaveLength(3);

      const page = await api.get('/webhooks/dead', { limit: 1 });
      expect(page.body).toMatchObject({ limit: 1, offset: 0, total: expect.any(Number) });
      expect(page.body.items).toHaveLength(1);
      expect((await request(t.http).get('/api/v1/webhooks/dead')).status).toBe(401);
      const reader = await tokenWithPrivilege(t, api, 1);
      expect((await apiAs(t, reader).get('/webhooks/dead')).status).toBe(403);
      const bad = await api.get('/webhooks/dead', { limit: 0 });
      expect(bad.status).toBe(400);
      expect(JSON.stringify(bad.body.message)).toMatch(/limit/);
    });

    it('logs a dead webhook with the secrets in its callback URL redacted', async () => {
      const monitorId = await monitorThatWorks();
      const path = `${freshPath('secret')}?token=hook-secret-123&id=7`;
      const url = receiver.answer(path, (_req, res) => res.writeHead(500).end());
      const res = await api.post(`/monitors/${monitorId}/hosts/pull-async`, { callback_url: url });
      const taskId = res.body.task_id as string;
      await pollDead(taskId);
      const deadline = Date.now() + 5000;
      let line: string | undefined;
      while (!line && Date.now() < deadline) {
        line = t
          .systemLog()
          .split('\n')
          .find((text) => text.includes(`task ${taskId} moved to the webhook dead letters`));
        if (!line) await sleep(50);
      }
      const shown = url.replace('hook-secret-123', '[redacted]').replace('id=7', 'id=[redacted]');
      expect(JSON.parse(line ?? '{}')).toMatchObject({ url: shown });
      expect(t.systemLog()).not.toContain('hook-secret-123');
      expect((await pollDead(taskId)).url).toBe(shown);
    });

    async function pollDead(taskId: string, timeoutMs = 20_000): Promise<Record<string, unknown>> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = (await deadWebhooks()).find((letter) => letter.task_id === taskId);
        if (found) return found;
        if (Date.now() > deadline) throw new Error(`no dead webhook for ${taskId} after ${timeoutMs} ms`);
        await sleep(100);
      }
    }

    it.each([
      ['ftp://127.0.0.1/hook', /callback_url must be an http or https URL/],
      ['not a url', /callback_url must be an http or https URL/],
      [42, /callback_url must be a string/],
      ['http://127.0.0.2:9/hook', /callback_url points to a loopback address/],
      ['http://localhost:9/hook', /callback_url .*localhost resolves to (127\.0\.0\.1|::1)/],
      ['http://10.1.2.3/hook', /callback_url points to a private address/],
      ['http://192.168.0.1/hook', /callback_url points to a private address/],
      ['http://169.254.169.254/latest/meta-data/', /callback_url points to a metadata address/],
      ['http://[::1]:9/hook', /callback_url points to a loopback address/],
      ['http://[::ffff:127.0.0.1]:9/hook', /callback_url points to a loopback address/],
      ['http://metadata.google.internal/', /callback_url host metadata\.google\.internal is a cloud metadata service/],
    ])('answers 400 naming callback_url for %p, and queues nothing', async (callbackUrl, message) => {
      const monitorId = await monitorThatWorks();
      const before = await queueStats(t.http, token);
      const res = await api.post(`/monitors/${monitorId}/hosts/pull-async`, { callback_url: callbackUrl });
      expect(res.status).toBe(400);
      expect(JSON.stringify(res.body.message)).toMatch(message);
      expect(await queueStats(t.http, token)).toEqual(before);
    });

    it('accepts no body, an empty body or a null callback_url, and refuses unknown fields', async () => {
      const monitorId = await monitorThatWorks();
      const noBody = await request(t.http)
        .post(`/api/v1/monitors/${monitorId}/hosts/pull-async`)
        .set('Authorization', `Bearer ${token}`);
      expect(noBody.status).toBe(202);
      expect((await api.post(`/monitors/${monitorId}/hosts/pull-async`, {})).status).toBe(202);
      const unknown = await api.post(`/monitors/${monitorId}/hosts/pull-async`, { callbak_url: 'http://x/' });
      expect(unknown.status).toBe(400);
      expect(JSON.stringify(unknown.body.message)).toMatch(/callbak_url/);
    });

    it('keeps /queue/stats to the seven task types: the webhook queues are not among them', async () => {
      const stats = await queueStats(t.http, token);
      expect(Object.keys(stats).sort()).toEqual([...TASK_TYPES].sort());
      expect(await queueDetail(t.http, token)).not.toHaveProperty('webhooks');
    });
  });

  describe('with an API process that allows private addresses and a worker that does not', () => {
    let shared: SharedQueue;
    let apiApp: TestApp;
    let worker: TestApp;

    beforeAll(async () => {
      shared = await sharedQueue({ WEBHOOK_SECRET: SECRET, TASK_MAX_RETRIES: '0' });
      apiApp = await startTestApp({ ...shared.env, NAGARE_ROLE: 'api', WEBHOOK_ALLOW_PRIVATE: 'true' });
      worker = await startTestApp({ ...shared.env, NAGARE_ROLE: 'worker' });
    });
    afterAll(async () => {
      await worker?.close();
      await apiApp?.close();
      await shared?.close();
    });

    it('accepts 127.0.0.1 at enqueue, and the worker refuses it again at delivery without calling it', async () => {
      const token = await apiApp.login();
      const api = apiAs(apiApp, token);
      await createHost(api);
      const path = freshPath('recheck');
      const url = receiver.answer(path, (_req, res) => res.writeHead(200).end());
      const res = await api.post('/alerts/generate-test-async?count=1', { callback_url: url });
      expect(res.status).toBe(202);
      const taskId = res.body.task_id as string;
      await waitForTask(apiApp.http, token, taskId, 'completed');
      const deadline = Date.now() + 20_000;
      let letter: Record<string, unknown> | undefined;
      while (!letter && Date.now() < deadline) {
        const page = await api.get('/webhooks/dead');
        letter = (page.body.items as Record<string, unknown>[]).find((item) => item.task_id === taskId);
        if (!letter) await sleep(100);
      }
      expect(letter).toMatchObject({ event: 'task.completed', url, attempts: 1 });
      expect(letter?.error).toMatch(/callback_url points to a loopback address/);
      expect(receiver.on(path)).toHaveLength(0);
    });
  });
});
