import { ModulesContainer } from '@nestjs/core';
import Bull from 'bull';
import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { type Browser, chromium, type Page, type Response as PageResponse } from 'playwright-core';
import request from 'supertest';
import { RedisConnections } from '../src/redis/redis-connections';
import { TASK_TYPES } from '../src/queue/task-types';
import { type Api, apiAs, createHost, createMonitor, unique, unreachableUrl } from './support/inventory-factory';
import { bullQueue, waitForTask } from './support/queue-helpers';
import { waitFor } from './support/service-process';
import { startTestApp, type TestApp } from './support/test-app';

/** Debian's chromium; CHROMIUM_PATH points elsewhere. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Without the background-networking flags Chromium's own calls fail on a closed network and slow every page. */
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const DASHBOARD = '/admin/queues';
const QUEUES_API = `${DASHBOARD}/api/queues`;
/** The queues the dashboard must list at least: every task type and the sync schedule. */
const QUEUE_NAMES = [...TASK_TYPES, 'schedule'];
/** Stores of copies of failed jobs, which the dashboard leaves out (a dead task shows as failed in its own queue). */
const STORES = ['dead', 'webhooks_dead'];
const CHALLENGE = /^Basic realm="Nagare dashboard"/;

/** What the init script uses of the page's globals. */
interface PageGlobals {
  document: {
    addEventListener(
      type: 'securitypolicyviolation',
      listener: (event: { violatedDirective: string; blockedURI: string }) => void,
    ): void;
  };
}

interface Credentials {
  username: string;
  password: string;
}

function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium is missing at ${CHROMIUM}: the dashboard suite needs a real browser. ` +
        'Install it with `apt-get install chromium` (or point CHROMIUM_PATH at one).',
    );
  }
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}

const basic = ({ username, password }: Credentials) =>
  `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;

async function createUser(api: Api, privileges: 1 | 2 | 3): Promise<Credentials & { id: number }> {
  const credentials = { username: `dash-${privileges}-${unique()}`, password: `dash-password-${unique()}` };
  const res = await api.post('/users', { ...credentials, privileges });
  if (res.status !== 201) throw new Error(`creating a user failed: ${res.status} ${res.text}`);
  return { ...credentials, id: res.body.id as number };
}

/** Every Bull queue the app holds, found by walking Nest's container: what "every queue" means. */
function bullQueueNames(t: TestApp): string[] {
  const names = new Set<string>();
  for (const module of t.app.get(ModulesContainer).values()) {
    for (const { instance } of module.providers.values()) if (instance instanceof Bull) names.add(instance.name);
  }
  return [...names].sort();
}

/** The page's HTML once Chromium has stopped navigating (after a refused login it moves to its own error page). */
async function settledContent(page: Page): Promise<string> {
  for (let attempt = 0; ; attempt++) {
    await page.waitForLoadState('load').catch(() => undefined);
    try {
      return await page.content();
    } catch (error) {
      if (attempt >= 50) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** What a page did in Chromium: every URL it requested, and every CSP violation it met (event or console line). */
interface PageVisit {
  status: number | undefined;
  csp: string | undefined;
  requests: string[];
  violations: string[];
}

/**
 * Opens `url` in a fresh context, waits until `rendered` holds, and reports what the page fetched and whether the
 * Content-Security-Policy refused anything: `securitypolicyviolation` events and Chromium's "Refused to ..." lines.
 */
async function visit(
  browser: Browser,
  url: string,
  credentials: Credentials | undefined,
  rendered: (page: Page) => Promise<unknown>,
): Promise<PageVisit> {
  const context = await browser.newContext(credentials ? { httpCredentials: credentials } : {});
  const requests: string[] = [];
  const violations: string[] = [];
  context.on('request', (req) => requests.push(req.url()));
  await context.addInitScript(() => {
    // Runs in the page; this file is compiled without the DOM's types.
    (globalThis as unknown as PageGlobals).document.addEventListener('securitypolicyviolation', (event) =>
      console.error(`securitypolicyviolation: ${event.violatedDirective} ${event.blockedURI}`),
    );
  });
  const page = await context.newPage();
  page.on('console', (message) => {
    if (/Refused to|securitypolicyviolation|Content Security Policy/i.test(message.text())) {
      violations.push(message.text());
    }
  });
  try {
    const response = await page.goto(url, { waitUntil: 'load', timeout: 30_000 });
    await rendered(page);
    // Whatever the rendered page fetches next (fonts, images, its polling) has its chance to be seen.
    await page.waitForLoadState('networkidle', { timeout: 10_000 }).catch(() => undefined);
    return { status: response?.status(), csp: response?.headers()['content-security-policy'], requests, violations };
  } finally {
    await context.close();
  }
}

/** The requests that went anywhere but this service on 127.0.0.1 (data: URLs never leave the page). */
const offHost = (requests: string[], baseUrl: string) =>
  requests.filter((url) => !url.startsWith(`${baseUrl}/`) && !url.startsWith('data:'));

/** The names in the dashboard's own JSON listing of the queues. */
const listedNames = (body: { queues: { name: string }[] }) => body.queues.map((queue) => queue.name).sort();

describe('queue dashboard (e2e)', () => {
  let t: TestApp;
  let baseUrl: string;
  let admin: Api;
  let operator: Credentials & { id: number };
  let reader: Credentials & { id: number };
  /** Every queue of the app but the stores, which the dashboard must list: QUEUE_NAMES and any other (webhooks...). */
  let allQueues: string[];

  beforeAll(async () => {
    // Failing tasks die at once (no retry), so the board has dead tasks to retry within a test.
    t = await startTestApp({ TASK_MAX_RETRIES: '0' });
    await t.app.listen(0, '127.0.0.1');
    baseUrl = `http://127.0.0.1:${(t.http.address() as AddressInfo).port}`;
    admin = apiAs(t, await t.login());
    operator = await createUser(admin, 2);
    reader = await createUser(admin, 1);
    expect(bullQueueNames(t)).toEqual(expect.arrayContaining([...QUEUE_NAMES, ...STORES]));
    allQueues = bullQueueNames(t).filter((name) => !STORES.includes(name));
  });
  afterAll(async () => {
    await t?.close();
  });

  describe('over HTTP', () => {
    it('refuses an anonymous visitor on every path under /admin/queues: 401 with a Basic challenge, no queue named', async () => {
      for (const path of [
        DASHBOARD,
        `${DASHBOARD}/`,
        QUEUES_API,
        `${DASHBOARD}/queue/pull_hosts`,
        `${DASHBOARD}/x.js`,
      ]) {
        const res = await request(t.http).get(path);
        expect({ path, status: res.status, challenge: res.headers['www-authenticate'] }).toEqual({
          path,
          status: 401,
          challenge: expect.stringMatching(CHALLENGE),
        });
        expect(res.body).toEqual({ statusCode: 401, message: expect.any(String), error: 'Unauthorized' });
        for (const name of QUEUE_NAMES) expect(res.text).not.toContain(name);
      }
      const put = await request(t.http).put(`${QUEUES_API}/pull_hosts/pause`);
      expect(put.status).toBe(401);
    });

    it('refuses a wrong password, an unknown user, a bad token and a malformed header with 401', async () => {
      const attempts = [
        basic({ username: operator.username, password: 'not-the-password' }),
        basic({ username: `nobody-${unique()}`, password: operator.password }),
        'Bearer not.a.token',
        `Basic ${Buffer.from('no-colon').toString('base64')}`,
        'Digest username="x"',
      ];
      for (const authorization of attempts) {
        const res = await request(t.http).get(QUEUES_API).set('Authorization', authorization);
        expect({ authorization, status: res.status }).toEqual({ authorization, status: 401 });
        expect(res.headers['www-authenticate']).toMatch(CHALLENGE);
      }
      // Those failures count toward the login limit: the operator's success from the same client clears theirs.
      expect((await request(t.http).get(QUEUES_API).set('Authorization', basic(operator))).status).toBe(200);
    });

    it('serves a privilege-1 user read-only, by password and by token: every queue listed, every write 403', async () => {
      const byPassword = await request(t.http).get(QUEUES_API).set('Authorization', basic(reader));
      expect(byPassword.status).toBe(200);
      expect(listedNames(byPassword.body)).toEqual(allQueues);
      for (const queue of byPassword.body.queues as { readOnlyMode: boolean }[]) expect(queue.readOnlyMode).toBe(true);

      const token = await t.login(reader.username, reader.password);
      expect((await request(t.http).get(DASHBOARD).set('Authorization', `Bearer ${token}`)).status).toBe(200);
      for (const path of ['pull_hosts/retry/failed', 'pull_hosts/promote', 'generate_alerts/clean/completed']) {
        const write = await request(t.http).put(`${QUEUES_API}/${path}`).set('Authorization', basic(reader));
        expect({ path, status: write.status, body: write.body }).toEqual({
          path,
          status: 403,
          body: { statusCode: 403, message: 'The dashboard is read-only below privilege 2', error: 'Forbidden' },
        });
      }
    });

    it('serves an operator, by password or by bearer token: the page, and the API listing every queue', async () => {
      const page = await request(t.http).get(DASHBOARD).set('Authorization', basic(operator));
      expect(page.status).toBe(200);
      expect(page.headers['content-type']).toMatch(/text\/html/);
      expect(page.headers['cache-control']).toBe('no-store');

      const listing = await request(t.http).get(QUEUES_API).set('Authorization', basic(operator));
      expect(listing.status).toBe(200);
      expect(listedNames(listing.body)).toEqual(allQueues);

      const token = await t.login(operator.username, operator.password);
      const byToken = await request(t.http).get(QUEUES_API).set('Authorization', `Bearer ${token}`);
      expect(byToken.status).toBe(200);
      expect(listedNames(byToken.body)).toEqual(allQueues);
    });

    it('shows what the queues hold: a task queued through the API appears in its queue', async () => {
      await createHost(admin);
      const res = await admin.post('/alerts/generate-test-async?count=1');
      expect(res.status).toBe(202);
      const listing = await request(t.http).get(QUEUES_API).set('Authorization', basic(operator));
      const alerts = (listing.body.queues as { name: string; counts: Record<string, number> }[]).find(
        (queue) => queue.name === 'generate_alerts',
      );
      const counts = alerts!.counts;
      expect(counts.waiting + counts.active + counts.completed + counts.failed + counts.delayed).toBeGreaterThanOrEqual(
        1,
      );
    });

    it('names each job by its task id, and shows a dead task once, as failed in its own queue', async () => {
      await createHost(admin);
      const taskId = (await admin.post('/alerts/generate-test-async?count=1')).body.task_id as string;
      await waitForTask(t.http, await t.login(), taskId, 'completed');
      const listing = await request(t.http)
        .get(QUEUES_API)
        .query({ activeQueue: 'generate_alerts', status: 'completed' })
        .set('Authorization', basic(operator));
      const queues = listing.body.queues as { name: string; hasWorkers: boolean | null; jobs: { name: string }[] }[];
      const alerts = queues.find((queue) => queue.name === 'generate_alerts')!;
      expect(alerts.jobs.map((job) => job.name)).toContain(taskId);
      expect(alerts.jobs.map((job) => job.name)).not.toContain('__default__');
      expect(alerts.hasWorkers).toBe(true);

      const monitorId = (await createMonitor(admin, { url: await unreachableUrl() })).id;
      const dead = (await admin.post(`/monitors/${monitorId}/hosts/pull-async`)).body.task_id as string;
      await waitForTask(t.http, await t.login(), dead, 'dead');
      expect((await admin.get('/queue/dead', { type: 'pull_hosts' })).body.items).toEqual(
        expect.arrayContaining([expect.objectContaining({ task_id: dead })]),
      );
      const failed = await request(t.http)
        .get(QUEUES_API)
        .query({ activeQueue: 'pull_hosts', status: 'failed' })
        .set('Authorization', basic(operator));
      const shown = failed.body.queues as { name: string; jobs: { name: string }[] }[];
      expect(shown.map((queue) => queue.name)).not.toEqual(expect.arrayContaining([expect.stringMatching(/dead$/)]));
      const everyJob = shown.flatMap((queue) => queue.jobs.map((job) => job.name));
      expect(everyJob.filter((name) => name === dead)).toHaveLength(1);
      // The next test counts the letters of pull_hosts: this one goes.
      expect((await admin.delete(`/queue/dead/${dead}`)).status).toBe(204);
    });

    it("shows a job's callback URL to no one with its secrets: query values and token-like path segments redacted", async () => {
      const secret = 'aB3dE5fG7hJ9kL1mN3pQ5rS7';
      const url = `https://hooks.example.com/services/T0AB12CD3/${secret}?code=s3cr3t-code`;
      const redisUrl = process.env.NAGARE_TEST_REDIS_URL as string;
      const tasks = bullQueue(redisUrl, t.config.queue.prefix, 'generate_alerts');
      const deliveries = bullQueue(redisUrl, t.config.queue.prefix, 'webhooks');
      // Delayed by an hour: shown on the board, never run.
      const later = { delay: 3_600_000 };
      const task = await tasks.add(
        'generate_alerts',
        { type: 'generate_alerts', params: { count: 1 }, callback_url: url },
        later,
      );
      const delivery = await deliveries.add(
        'task.completed',
        { event: 'task.completed', task_id: 'x:1', url, body: '{}' },
        later,
      );
      try {
        const shownUrl = 'https://hooks.example.com/services/T0AB12CD3/[redacted]?code=[redacted]';
        for (const who of [reader, operator]) {
          for (const [queue, job, field] of [
            ['generate_alerts', task, 'callback_url'],
            ['webhooks', delivery, 'url'],
          ] as const) {
            const listing = await request(t.http)
              .get(QUEUES_API)
              .query({ activeQueue: queue, status: 'delayed' })
              .set('Authorization', basic(who));
            const one = await request(t.http).get(`${QUEUES_API}/${queue}/${job.id}`).set('Authorization', basic(who));
            expect(one.status).toBe(200);
            expect(one.body.job.data[field]).toBe(shownUrl);
            for (const body of [listing.text, one.text]) {
              expect(body).not.toContain(secret);
              expect(body).not.toContain('s3cr3t-code');
            }
          }
        }
        // The job itself keeps the URL as given: the delivery calls it.
        expect((await tasks.getJob(task.id))!.data.callback_url).toBe(url);
      } finally {
        await task.remove();
        await delivery.remove();
        await Promise.all([tasks.close(), deliveries.close()]);
      }
    });

    it('lets an operator retry, promote and clean, each logged with the user; every other write is 403', async () => {
      const auth = basic(operator);
      const monitorId = (await createMonitor(admin, { url: await unreachableUrl() })).id;
      const taskId = (await admin.post(`/monitors/${monitorId}/hosts/pull-async`)).body.task_id as string;
      const token = await t.login();
      await waitForTask(t.http, token, taskId, 'dead');
      const jobId = taskId.split(':')[1];

      const retry = await request(t.http).put(`${QUEUES_API}/pull_hosts/${jobId}/retry`).set('Authorization', auth);
      expect(retry.status).toBeLessThan(300);
      // Run again under its own id, and dead again: its letter was dropped at the retry and written anew, one letter.
      const buried = `worker moved task ${taskId} to the dead letters`;
      await waitFor('the second burial', () => (t.systemLog().split(buried).length > 2 ? true : undefined), 15_000);
      expect(t.systemLog().split(`worker started task ${taskId} `).length).toBe(3);
      await waitForTask(t.http, token, taskId, 'dead');
      expect((await admin.get('/queue/dead', { type: 'pull_hosts' })).body.items).toEqual([
        expect.objectContaining({ task_id: taskId }),
      ]);

      const promote = await request(t.http).put(`${QUEUES_API}/pull_hosts/promote`).set('Authorization', auth);
      expect(promote.status).toBeLessThan(300);
      const clean = await request(t.http)
        .put(`${QUEUES_API}/generate_alerts/clean/completed`)
        .set('Authorization', auth);
      expect(clean.status).toBeLessThan(300);
      for (const line of [
        `${operator.username} retry job ${jobId} of pull_hosts on the dashboard`,
        `${operator.username} promote delayed jobs of pull_hosts on the dashboard`,
        `${operator.username} clean completed jobs of generate_alerts on the dashboard`,
      ]) {
        await waitFor(line, () => (t.systemLog().includes(`"msg":"${line}"`) ? true : undefined));
      }

      for (const path of ['pull_hosts/pause', 'dead/empty', 'pull_hosts/obliterate', 'pull_hosts/add']) {
        const refused = await request(t.http).put(`${QUEUES_API}/${path}`).set('Authorization', auth);
        expect({ path, status: refused.status }).toEqual({ path, status: 403 });
      }
      const queue = bullQueue(process.env.NAGARE_TEST_REDIS_URL!, t.config.queue.prefix, 'pull_hosts');
      try {
        expect(await queue.isPaused()).toBe(false);
      } finally {
        await queue.close();
      }
    });

    it('ends access at once when the operator is disabled or changes password, as it ends their tokens', async () => {
      const user = await createUser(admin, 2);
      expect((await request(t.http).get(QUEUES_API).set('Authorization', basic(user))).status).toBe(200);

      expect((await admin.patch(`/users/${user.id}`, { password: 'a-new-long-password' })).status).toBe(200);
      expect((await request(t.http).get(QUEUES_API).set('Authorization', basic(user))).status).toBe(401);
      const renewed = { ...user, password: 'a-new-long-password' };
      expect((await request(t.http).get(QUEUES_API).set('Authorization', basic(renewed))).status).toBe(200);

      expect((await admin.patch(`/users/${user.id}`, { enabled: false })).status).toBe(200);
      expect((await request(t.http).get(QUEUES_API).set('Authorization', basic(renewed))).status).toBe(401);
    });

    it('never writes the credentials or the Authorization header to the log', () => {
      const log = t.systemLog();
      expect(log).toContain('dashboard login failed');
      expect(log).not.toContain(operator.password);
      expect(log).not.toContain(basic(operator).slice('Basic '.length));
      expect(log).not.toMatch(/"authorization":"(Basic|Bearer) /i);
    });
  });

  describe('in headless Chromium', () => {
    let browser: Browser;

    beforeAll(async () => {
      browser = await launchChromium();
    });
    afterAll(async () => {
      await browser?.close();
    });

    async function open(
      credentials?: Credentials,
      path = DASHBOARD,
    ): Promise<{ page: Page; response: PageResponse | null }> {
      const context = await browser.newContext(credentials ? { httpCredentials: credentials } : {});
      const page = await context.newPage();
      const response = await page.goto(`${baseUrl}${path}`, { waitUntil: 'load', timeout: 30_000 });
      return { page, response };
    }

    it('refuses an anonymous visitor: 401 with a Basic challenge, and none of the queues on the page', async () => {
      const context = await browser.newContext();
      const page = await context.newPage();
      const answers: PageResponse[] = [];
      page.on('response', (res) => answers.push(res));
      try {
        // With no credentials to answer the challenge, Chromium ends the navigation with an auth error.
        const navigation = await page.goto(`${baseUrl}${DASHBOARD}`, { timeout: 30_000 }).then(
          (res) => ({ status: res?.status(), error: undefined }),
          (error: Error) => ({ status: undefined, error: error.message }),
        );
        const answer = answers.find((res) => new URL(res.url()).pathname === DASHBOARD);
        expect(answer?.status()).toBe(401);
        expect(answer?.headers()['www-authenticate']).toMatch(CHALLENGE);
        expect(navigation.status === 401 || /ERR_INVALID_AUTH_CREDENTIALS/.test(navigation.error ?? '')).toBe(true);
        // Nothing past the page itself was fetched (no script, no queue listing), and nothing names a queue.
        expect(answers.map((res) => new URL(res.url()).pathname)).toEqual([DASHBOARD]);
        const text = await settledContent(page);
        for (const name of QUEUE_NAMES) expect(text).not.toContain(name);
      } finally {
        await context.close();
      }
    });

    it('answers the Basic challenge of an operator with the dashboard, listing every queue', async () => {
      const context = await browser.newContext({ httpCredentials: operator });
      const page = await context.newPage();
      try {
        // The page's own call for the queues, which the single-page app makes once it has loaded.
        const listing = page.waitForResponse((res) => new URL(res.url()).pathname === QUEUES_API, {
          timeout: 30_000,
        });
        const response = await page.goto(`${baseUrl}${DASHBOARD}`, { waitUntil: 'load', timeout: 30_000 });
        expect(response?.status()).toBe(200);
        const api = await listing;
        expect(api.status()).toBe(200);
        expect(listedNames((await api.json()) as { queues: { name: string }[] })).toEqual(allQueues);

        // Rendered by the app, not just served: each queue's name shows on the page.
        for (const name of allQueues) {
          await page.getByText(name, { exact: true }).first().waitFor({ state: 'visible', timeout: 30_000 });
        }
      } finally {
        await context.close();
      }
    }, 90_000);

    it('renders the dashboard under its Content-Security-Policy: no violation, no request off 127.0.0.1', async () => {
      const seen = await visit(browser, `${baseUrl}${DASHBOARD}`, operator, (page) =>
        page.getByText('generate_alerts', { exact: true }).first().waitFor({ state: 'visible', timeout: 30_000 }),
      );
      expect(seen.status).toBe(200);
      expect(seen.csp).toMatch(/default-src 'self'/);
      expect(seen.requests.some((url) => url.includes(`${DASHBOARD}/static/js/`))).toBe(true);
      expect({ offHost: offHost(seen.requests, baseUrl), violations: seen.violations }).toEqual({
        offHost: [],
        violations: [],
      });
    }, 90_000);

    it("retries the dead tasks of a queue with a click on its failed jobs' Retry all, logged with the operator", async () => {
      const monitorId = (await createMonitor(admin, { url: await unreachableUrl() })).id;
      const taskId = (await admin.post(`/monitors/${monitorId}/hosts/pull-async`)).body.task_id as string;
      await waitForTask(t.http, await t.login(), taskId, 'dead');
      const { page } = await open(operator, `${DASHBOARD}/queue/pull_hosts?status=failed`);
      try {
        // The failed job is listed under its task id.
        await page.getByText(taskId, { exact: true }).first().waitFor({ state: 'visible', timeout: 30_000 });
        const retried = page.waitForResponse(
          (res) =>
            res.request().method() === 'PUT' && new URL(res.url()).pathname === `${QUEUES_API}/pull_hosts/retry/failed`,
          { timeout: 30_000 },
        );
        await page.getByRole('button', { name: 'Retry all' }).click();
        // Bull Board asks to confirm an action on every job of a state.
        await page.getByRole('alertdialog').getByRole('button', { name: 'Confirm' }).click();
        expect((await retried).status()).toBeLessThan(300);
        const line = `${operator.username} retry failed jobs of pull_hosts on the dashboard`;
        await waitFor(line, () => (t.systemLog().includes(`"msg":"${line}"`) ? true : undefined));
        await waitFor('the task to run again', () =>
          t.systemLog().split(`worker started task ${taskId} `).length > 2 ? true : undefined,
        );
      } catch (error) {
        throw new Error(`${(error as Error).message}\n--- page\n${(await page.content()).slice(-20000)}`);
      } finally {
        await page.context().close();
      }
    }, 90_000);

    it('renders Swagger UI at /docs under its Content-Security-Policy: no violation, no request off 127.0.0.1', async () => {
      const seen = await visit(browser, `${baseUrl}/docs`, undefined, async (page) => {
        await page.getByText('Nagare task queue').first().waitFor({ state: 'visible', timeout: 30_000 });
        await page.getByText('/api/v1/auth/login').first().waitFor({ state: 'visible', timeout: 30_000 });
      });
      expect(seen.status).toBe(200);
      expect(seen.csp).toMatch(/default-src 'self'/);
      expect(seen.requests.some((url) => url.endsWith('/docs/swagger-ui-bundle.js'))).toBe(true);
      expect({ offHost: offHost(seen.requests, baseUrl), violations: seen.violations }).toEqual({
        offHost: [],
        violations: [],
      });
    }, 90_000);

    it('shows a privilege-1 user every queue, read-only: no action buttons where an operator has them', async () => {
      // A failed task, so the failed jobs' page has something to act on.
      const monitorId = (await createMonitor(admin, { url: await unreachableUrl() })).id;
      const taskId = (await admin.post(`/monitors/${monitorId}/hosts/pull-async`)).body.task_id as string;
      await waitForTask(t.http, await t.login(), taskId, 'dead');
      const { page, response } = await open(reader);
      try {
        expect(response?.status()).toBe(200);
        for (const name of allQueues) {
          await page.getByText(name, { exact: true }).first().waitFor({ state: 'visible', timeout: 30_000 });
        }
      } finally {
        await page.context().close();
      }
      const buttonsOn = async (who: Credentials): Promise<number> => {
        const { page: failed } = await open(who, `${DASHBOARD}/queue/pull_hosts?status=failed`);
        try {
          await failed.getByText(taskId, { exact: true }).first().waitFor({ state: 'visible', timeout: 30_000 });
          return await failed.getByRole('button', { name: /^(Retry all|Clean all)$/ }).count();
        } finally {
          await failed.context().close();
        }
      };
      expect(await buttonsOn(operator)).toBe(2);
      expect(await buttonsOn(reader)).toBe(0);
    }, 90_000);
  });
});

describe('queue dashboard login limit (e2e)', () => {
  const MAX_FAILURES = 3;
  let t: TestApp;
  let admin: Api;
  const dashboard = (credentials: Credentials) =>
    request(t.http).get(QUEUES_API).set('Authorization', basic(credentials));

  beforeAll(async () => {
    t = await startTestApp({ LOGIN_MAX_FAILURES: String(MAX_FAILURES) });
    admin = apiAs(t, await t.login());
  });
  afterAll(async () => {
    await t?.close();
  });

  it('counts wrong dashboard passwords with the API logins: past the limit both answer 429, even to the right one', async () => {
    const operator = await createUser(admin, 2);
    const wrong = { username: operator.username, password: 'wrong-password' };
    for (let i = 0; i < MAX_FAILURES; i++) expect((await dashboard(wrong)).status).toBe(401);

    const locked = await dashboard(operator);
    expect(locked.status).toBe(429);
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);
    const login = await request(t.http)
      .post('/api/v1/auth/login')
      .send({ username: operator.username, password: operator.password });
    expect(login.status).toBe(429);
    expect(login.headers['retry-after']).toBe(String(login.body.retry_after));
  });

  it("serves a burst of an operator's requests with the right password, as a page's assets and polls come, without 429", async () => {
    const operator = await createUser(admin, 2);
    expect((await dashboard(operator)).status).toBe(200);
    // A browser sends the page's scripts, styles and API polls at once, each with the Basic credentials.
    const burst = await Promise.all(Array.from({ length: 30 * MAX_FAILURES }, () => dashboard(operator)));
    expect(burst.map((res) => res.status)).toEqual(burst.map(() => 200));
    expect((await dashboard(operator)).status).toBe(200);
  });

  it("does not let a privilege-1 user's right password clear the failures counted for another user", async () => {
    const operator = await createUser(admin, 2);
    const reader = await createUser(admin, 1);
    const wrong = { username: operator.username, password: 'wrong-password' };
    for (let i = 0; i < MAX_FAILURES - 1; i++) expect((await dashboard(wrong)).status).toBe(401);
    // The reader is let in (read-only), as often as they like: their success is theirs alone.
    for (let i = 0; i < MAX_FAILURES + 1; i++) expect((await dashboard(reader)).status).toBe(200);
    expect((await dashboard(wrong)).status).toBe(401);

    const locked = await dashboard(operator);
    expect(locked.status).toBe(429);
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);
  });
});

describe('queue dashboard in a worker process (e2e)', () => {
  let worker: TestApp;
  afterAll(async () => {
    await worker?.close();
  });

  it('is not mounted where no API runs', async () => {
    worker = await startTestApp({ NAGARE_ROLE: 'worker' });
    // Bull fails unhandled when a worker closes before its Redis connections are ready (its workers' CLIENT SETNAME
    // is still pending): let every one get there first.
    const connections = () => {
      const all = [worker!.app.get(RedisConnections).commandClient];
      for (const module of worker!.app.get(ModulesContainer).values()) {
        for (const { instance } of module.providers.values()) {
          const queue = instance as { bclientInitialized?: boolean; bclient?: { status: string } };
          if (instance instanceof Bull && queue.bclientInitialized && queue.bclient) all.push(queue.bclient as never);
        }
      }
      return all as { status: string }[];
    };
    for (let i = 0; i < 400 && connections().some((c) => c.status !== 'ready'); i++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect(connections().map((c) => c.status)).toEqual(connections().map(() => 'ready'));
    const res = await request(worker.http).get(QUEUES_API).set('Authorization', 'Basic YWRtaW46eA==');
    expect(res.status).toBe(404);
  });
});
