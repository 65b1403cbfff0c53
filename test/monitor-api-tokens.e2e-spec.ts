import { DataSource } from 'typeorm';
import { SyncStatus } from '../src/monitors/entities/sync-status';
import {
  type Api,
  apiAs,
  createMonitor,
  expectNoMonitorSecrets,
  MONITOR_PASSWORD_MARK,
  monitorBody,
  tokenWithPrivilege,
  unique,
} from './support/inventory-factory';
import { waitForTask } from './support/queue-helpers';
import { startTestApp, type TestApp } from './support/test-app';
import { FakeZabbix } from './support/zabbix';
import { messageOf } from './support/http';

/** The 400 message of the ValidationPipe (a list) or of a service (a string), as one text to search. */

/** A token monitor's body: no username, no password. */
function tokenBody(apiToken: string, overrides: Record<string, unknown> = {}) {
  const { username: _username, password: _password, ...rest } = monitorBody();
  return { ...rest, api_token: apiToken, ...overrides };
}

describe('monitor API tokens (e2e)', () => {
  let t: TestApp;
  let admin: Api;
  let writer: Api;
  const servers: FakeZabbix[] = [];

  beforeAll(async () => {
    t = await startTestApp({ TASK_BACKOFF_MS: '20' });
    admin = apiAs(t, await t.login());
    writer = apiAs(t, await tokenWithPrivilege(t, admin, 2));
  });
  afterAll(async () => {
    await t.close();
    await Promise.all(servers.map((server) => server.close()));
  });

  /** A fake Zabbix of `version` holding one API token, and a monitor of it that carries only that token. */
  async function tokenMonitor(version: string) {
    const fake = await FakeZabbix.start({ version });
    servers.push(fake);
    fake.on('host.get', () => []);
    const apiToken = fake.issueApiToken();
    const res = await admin.post('/monitors', tokenBody(apiToken, { url: fake.url }));
    expect(res.status).toBe(201);
    return { fake, apiToken, monitor: res.body as { id: number } };
  }

  describe('validation', () => {
    it('refuses a monitor with neither an api_token nor a username and password pair (400 naming the missing ones)', async () => {
      const { username: _u, password: _p, ...bare } = monitorBody();
      for (const body of [bare, { ...bare, username: 'Admin' }, { ...bare, password: 'secret' }]) {
        const res = await admin.post('/monitors', body);
        expect(res.status).toBe(400);
        expect(messageOf(res)).toMatch(/(username|password) is required unless api_token is given/);
      }
    });

    it.each([
      ['empty', '', 'api_token must not be empty'],
      ['over-long', 'a'.repeat(513), 'api_token must be at most 512 characters'],
      ['not a string', 12345, 'api_token must be a string'],
      ['null', null, 'api_token must be a string'],
    ])('refuses an api_token that is %s (400 naming api_token)', async (_what, apiToken, expected) => {
      const res = await admin.post('/monitors', tokenBody('x', { api_token: apiToken }));
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
      expect(res.body.message).toContain(expected);
    });

    it('accepts an api_token of the longest length', async () => {
      expect((await admin.post('/monitors', tokenBody('a'.repeat(512)))).status).toBe(201);
    });

    it('refuses an api_token together with a username or password (400), and stores nothing', async () => {
      const name = `both-${unique()}`;
      const res = await admin.post('/monitors', { ...monitorBody({ name }), api_token: 'a'.repeat(64) });
      expect(res.status).toBe(400);
      expect(messageOf(res)).toContain('either api_token or username and password');
      expect((await admin.get(`/monitors?q=${name}`)).body.total).toBe(0);
    });
  });

  describe('secrecy', () => {
    it('never shows the token, stores it encrypted, and logs it nowhere', async () => {
      const apiToken = `${MONITOR_PASSWORD_MARK}${'f'.repeat(40)}`;
      const created = await admin.post('/monitors', tokenBody(apiToken));
      expect(created.status).toBe(201);
      expect(created.body.username).toBe('');
      for (const res of [created, await admin.get(`/monitors/${created.body.id}`), await admin.get('/monitors')]) {
        expectNoMonitorSecrets(res, apiToken);
        expect(res.text).not.toContain('api_token');
      }
      const [row] = await t.app
        .get(DataSource)
        .query(`SELECT "api_token_encrypted", "password_encrypted" FROM "monitors" WHERE "id" = ${created.body.id}`);
      expect(row.api_token_encrypted).toMatch(/^v1:/);
      expect(row.api_token_encrypted).not.toContain(apiToken);
      expect(row.password_encrypted).toBe('');
      expect(t.systemLog()).not.toContain(apiToken);
    });
  });

  describe('calls with the token', () => {
    it.each([
      ['6.0.14', 'auth'],
      ['7.0.22', 'bearer'],
    ] as const)('syncs a token monitor of Zabbix %s with the token as %s and never logs in', async (version, where) => {
      const { fake, apiToken, monitor } = await tokenMonitor(version);
      const check = await writer.post(`/monitors/${monitor.id}/check`);
      expect(check.body).toMatchObject({
        status: SyncStatus.Active,
        status_description: `Connected to zabbix ${version}`,
      });
      expect((await writer.post(`/monitors/${monitor.id}/hosts/pull`)).status).toBe(200);
      expect(fake.calls('host.get').map((call) => call[where])).toEqual([apiToken, apiToken]);
      expect([...fake.calls('user.login'), ...fake.calls('user.logout')]).toEqual([]);
    });

    it('gives a revoked token auth_failed with Zabbix reason, and its async task one attempt only', async () => {
      const { fake, apiToken, monitor } = await tokenMonitor('7.0.22');
      fake.revokeApiToken(apiToken);
      const expected = 'Monitor refused the API token: Not authorized.';

      const queued = await writer.post(`/monitors/${monitor.id}/hosts/pull-async`);
      const task = await waitForTask(t.http, await t.login(), queued.body.task_id, 'dead', 20_000);
      expect(task).toMatchObject({ error: expected, attempts_made: 1 });
      expect(fake.calls('host.get')).toHaveLength(1);
      const letter = await admin.get(`/queue/dead/${queued.body.task_id}`);
      expect(letter.body.error).toBe(expected);
      expect(JSON.stringify(letter.body)).not.toContain(apiToken);
      expect((await admin.get(`/monitors/${monitor.id}`)).body).toMatchObject({
        status: SyncStatus.AuthFailed,
        status_description: expected,
      });

      // An operator's synchronous pull tries once more; a task is refused until the token changes.
      const sync = await writer.post(`/monitors/${monitor.id}/hosts/pull`);
      expect(sync.status).toBe(502);
      expect(sync.body.message).toBe(expected);
      expect((await writer.post(`/monitors/${monitor.id}/hosts/pull-async`)).status).toBe(409);
      expect(fake.calls('host.get')).toHaveLength(2);
      expect(fake.calls('user.login')).toEqual([]);
      expect(t.systemLog()).not.toContain(apiToken);
    });

    it('gives an expired token auth_failed with Zabbix reason on a check', async () => {
      const { fake, apiToken, monitor } = await tokenMonitor('6.0.14');
      fake.revokeApiToken(apiToken, 'expired');
      const check = await writer.post(`/monitors/${monitor.id}/check`);
      expect(check.body).toMatchObject({
        status: SyncStatus.AuthFailed,
        status_description: 'Monitor refused the API token: API token expired.',
      });
    });
  });

  describe('editing credentials', () => {
    it('needs the credentials again when url moves: an api_token will do, and only it is sent there', async () => {
      const { fake: owner, monitor } = await tokenMonitor('6.0.14');
      const elsewhere = await FakeZabbix.start({ version: '6.0.14' });
      servers.push(elsewhere.on('host.get', () => []));

      const bare = await writer.patch(`/monitors/${monitor.id}`, { url: elsewhere.url });
      expect(bare.status).toBe(400);
      expect(messageOf(bare)).toContain('api_token');

      const theirs = elsewhere.issueApiToken();
      const moved = await writer.patch(`/monitors/${monitor.id}`, { url: elsewhere.url, api_token: theirs });
      expect(moved.status).toBe(200);
      await writer.post(`/monitors/${monitor.id}/hosts/pull`);
      expect(elsewhere.calls('host.get').map((call) => call.auth)).toEqual([theirs]);
      expect(owner.calls('host.get')).toEqual([]);
    });

    it('switches between a token and a password pair, and refuses a password without its username on a token monitor', async () => {
      const { fake, monitor } = await tokenMonitor('6.0.14');
      const alone = await writer.patch(`/monitors/${monitor.id}`, { password: fake.password });
      expect(alone.status).toBe(400);
      expect(messageOf(alone)).toContain('username');

      const pair = await writer.patch(`/monitors/${monitor.id}`, { username: fake.username, password: fake.password });
      expect(pair.status).toBe(200);
      expect(pair.body.username).toBe(fake.username);
      await writer.post(`/monitors/${monitor.id}/hosts/pull`);
      expect(fake.calls('user.login')).toHaveLength(1);

      const token = fake.issueApiToken();
      const back = await writer.patch(`/monitors/${monitor.id}`, { api_token: token });
      expect(back.status).toBe(200);
      expect(back.body.username).toBe('');
      await writer.post(`/monitors/${monitor.id}/hosts/pull`);
      expect(fake.calls('host.get').at(-1)?.auth).toBe(token);
      expect(fake.calls('user.login')).toHaveLength(1);
    });
  });

  it('still creates password monitors as before', async () => {
    expect((await createMonitor(admin)).username).toBe('Admin');
  });
});
