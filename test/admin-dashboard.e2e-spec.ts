import { ModulesContainer } from '@nestjs/core';
import Bull from 'bull';
import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { type Browser, chromium, type Page, type Response as PageResponse } from 'playwright-core';
import request from 'supertest';
import { RedisConnections } from '../src/queue/redis-connections';
import { TASK_TYPES } from '../src/queue/task-types';
import { type Api, apiAs, createHost, unique } from './support/inventory-factory';
import { bullQueue } from './support/queue-helpers';
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
/** The queues the dashboard must list at least: the guide's seven task types, the dead letters, the sync schedule. */
const QUEUE_NAMES = [...TASK_TYPES, 'dead', 'schedule'];
const CHALLENGE = /^Basic realm="Nagare dashboard"/;

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

/** The names in the dashboard's own JSON listing of the queues. */
const listedNames = (body: { queues: { name: string }[] }) => body.queues.map((queue) => queue.name).sort();

describe('queue dashboard (e2e)', () => {
  let t: TestApp;
  let baseUrl: string;
  let admin: Api;
  let operator: Credentials & { id: number };
  let reader: Credentials & { id: number };
  /** Every queue of the app, which the dashboard must list: QUEUE_NAMES and any other (webhooks...). */
  let allQueues: string[];

  beforeAll(async () => {
    t = await startTestApp();
    await t.app.listen(0, '127.0.0.1');
    baseUrl = `http://127.0.0.1:${(t.http.address() as AddressInfo).port}`;
    admin = apiAs(t, await t.login());
    operator = await createUser(admin, 2);
    reader = await createUser(admin, 1);
    allQueues = bullQueueNames(t);
    expect(allQueues).toEqual(expect.arrayContaining(QUEUE_NAMES));
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
      // Those failures count toward the login limit: one success from the same client clears them.
      expect((await request(t.http).get(QUEUES_API).set('Authorization', basic(operator))).status).toBe(200);
    });

    it('refuses a privilege-1 user with 403, by password and by token', async () => {
      const byPassword = await request(t.http).get(QUEUES_API).set('Authorization', basic(reader));
      expect(byPassword.status).toBe(403);
      expect(byPassword.body).toEqual({
        statusCode: 403,
        message: expect.stringMatching(/privilege 2/),
        error: 'Forbidden',
      });
      for (const name of QUEUE_NAMES) expect(byPassword.text).not.toContain(name);

      const token = await t.login(reader.username, reader.password);
      const byToken = await request(t.http).get(DASHBOARD).set('Authorization', `Bearer ${token}`);
      expect(byToken.status).toBe(403);
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

    it('is read-only: an operator cannot pause, empty or retry a queue through it (the API does that)', async () => {
      const auth = basic(operator);
      const pause = await request(t.http).put(`${QUEUES_API}/pull_hosts/pause`).set('Authorization', auth);
      expect(pause.status).toBe(405);
      const empty = await request(t.http).put(`${QUEUES_API}/dead/empty`).set('Authorization', auth);
      expect(empty.status).toBe(405);
      const retry = await request(t.http).put(`${QUEUES_API}/pull_hosts/retry/failed`).set('Authorization', auth);
      expect(retry.status).toBe(405);
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

    async function open(credentials?: Credentials): Promise<{ page: Page; response: PageResponse | null }> {
      const context = await browser.newContext(credentials ? { httpCredentials: credentials } : {});
      const page = await context.newPage();
      const response = await page.goto(`${baseUrl}${DASHBOARD}`, { waitUntil: 'load', timeout: 30_000 });
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

    it('refuses a privilege-1 user with 403', async () => {
      const { page, response } = await open(reader);
      try {
        expect(response?.status()).toBe(403);
        const text = await settledContent(page);
        for (const name of QUEUE_NAMES) expect(text).not.toContain(name);
      } finally {
        await page.context().close();
      }
    });
  });
});

describe('queue dashboard login limit (e2e)', () => {
  let t: TestApp;
  afterAll(async () => {
    await t?.close();
  });

  it('counts wrong dashboard passwords with the API logins: past the limit both answer 429, even to the right one', async () => {
    t = await startTestApp({ LOGIN_MAX_FAILURES: '3' });
    const admin = apiAs(t, await t.login());
    const operator = await createUser(admin, 2);
    const wrong = basic({ username: operator.username, password: 'wrong-password' });
    for (let i = 0; i < 3; i++)
      expect((await request(t.http).get(QUEUES_API).set('Authorization', wrong)).status).toBe(401);

    const locked = await request(t.http).get(QUEUES_API).set('Authorization', basic(operator));
    expect(locked.status).toBe(429);
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);
    const login = await request(t.http)
      .post('/api/v1/auth/login')
      .send({ username: operator.username, password: operator.password });
    expect(login.status).toBe(429);
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
