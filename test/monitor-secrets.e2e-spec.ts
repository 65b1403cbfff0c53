import type { IncomingHttpHeaders } from 'node:http';
import { SyncStatus } from '../src/monitors/entities/sync-status';
import {
  type Api,
  apiAs,
  createMonitor,
  MONITOR_PASSWORD_MARK,
  monitorBody,
  seeder,
  tokenWithPrivilege,
  unique,
} from './support/inventory-factory';
import { waitForTask } from './support/queue-helpers';
import { startTestApp, type TestApp } from './support/test-app';
import { FakeZabbix } from './support/zabbix';
import { messageOf } from './support/http';

/** The 400 message of the ValidationPipe (a list) or of a service (a string), as one text to search. */

interface Heard {
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A server on 127.0.0.1 that records whatever reaches it: the attacker's listener. */
async function listener(): Promise<{ fake: FakeZabbix; heard: Heard[] }> {
  const fake = await FakeZabbix.start();
  const heard: Heard[] = [];
  fake.raw((request, response, body) => {
    heard.push({ url: request.url ?? '', headers: request.headers, body });
    response.writeHead(500).end();
  });
  return { fake, heard };
}

describe('monitor secrets (e2e)', () => {
  let t: TestApp;
  let admin: Api;
  let writer: Api;
  let reader: Api;
  let seed: ReturnType<typeof seeder>;
  const servers: FakeZabbix[] = [];

  beforeAll(async () => {
    t = await startTestApp({ TASK_BACKOFF_MS: '20' });
    admin = apiAs(t, await t.login());
    writer = apiAs(t, await tokenWithPrivilege(t, admin, 2));
    reader = apiAs(t, await tokenWithPrivilege(t, admin, 1));
    seed = seeder(t);
  });
  afterAll(async () => {
    await t.close();
    await Promise.all(servers.map((server) => server.close()));
  });

  async function attacker() {
    const found = await listener();
    servers.push(found.fake);
    return found;
  }

  async function zabbix(password: string): Promise<FakeZabbix> {
    const fake = await FakeZabbix.start({ password });
    servers.push(fake);
    return fake.on('host.get', () => []);
  }

  describe('the stored password goes only where its owner sent it (item 2)', () => {
    const moves: [string, (port: number) => string][] = [
      ['the port', (port) => `http://127.0.0.1:${port}/zabbix`],
      ['the host', (port) => `http://127.0.0.2:${port}/zabbix`],
      ['the path', (port) => `http://127.0.0.1:${port}/other`],
      ['the scheme', (port) => `https://127.0.0.1:${port}/zabbix`],
      ['the query', (port) => `http://127.0.0.1:${port}/zabbix?x=1`],
    ];

    it.each(moves)(
      'refuses a change of %s without the credentials (400 naming password), and a check then sends nothing there',
      async (_what, moved) => {
        const owner = monitorBody();
        const legit = await zabbix(owner.password);
        const { fake, heard } = await attacker();
        const port = Number(new URL(fake.url).port);
        const monitor = await createMonitor(admin, { ...owner, url: `${legit.url}/zabbix` });

        for (const changes of [
          { url: moved(port) },
          { url: moved(port), username: 'Admin' },
          { url: moved(port), password: 'x' },
        ]) {
          const res = await writer.patch(`/monitors/${monitor.id}`, changes);
          expect(res.status).toBe(400);
          expect(res.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
          expect(messageOf(res)).toContain('password');
        }
        expect((await admin.get(`/monitors/${monitor.id}`)).body.url).toBe(`${legit.url}/zabbix`);

        const check = await writer.post(`/monitors/${monitor.id}/check`);
        expect(check.body).toMatchObject({ status: SyncStatus.Active });
        expect(heard).toEqual([]);
        expect(legit.calls('user.login')[0].params).toEqual({ username: 'Admin', password: owner.password });
      },
    );

    it('accepts a new url with the credentials, and sends only those there', async () => {
      const owner = monitorBody();
      const { fake, heard } = await attacker();
      const monitor = await createMonitor(admin, owner);
      const mine = `${MONITOR_PASSWORD_MARK}writer-${unique()}`;

      const res = await writer.patch(`/monitors/${monitor.id}`, { url: fake.url, username: 'me', password: mine });
      expect(res.status).toBe(200);
      expect(res.body.url).toBe(fake.url);
      await writer.post(`/monitors/${monitor.id}/check`);

      const sent = heard.map((request) => JSON.stringify(request));
      expect(sent.join()).not.toContain(owner.password);
      expect(sent.length).toBeGreaterThan(0);
    });

    it('refuses a new username without the password (400 naming password), so the stored one is never tried with it', async () => {
      const owner = monitorBody();
      const legit = await zabbix(owner.password);
      const monitor = await createMonitor(admin, { ...owner, url: `${legit.url}/zabbix` });

      const res = await writer.patch(`/monitors/${monitor.id}`, { username: 'someone-else' });
      expect(res.status).toBe(400);
      expect(messageOf(res)).toContain('password');
      expect((await admin.get(`/monitors/${monitor.id}`)).body.username).toBe(owner.username);

      await writer.post(`/monitors/${monitor.id}/check`);
      expect(legit.calls('user.login').map((call) => call.params)).toEqual([
        { username: owner.username, password: owner.password },
      ]);
      const both = await writer.patch(`/monitors/${monitor.id}`, { username: 'someone-else', password: 'theirs' });
      expect(both.status).toBe(200);
    });

    it('still lets a writer change what does not move the credentials', async () => {
      const monitor = await createMonitor(admin);
      const same = await writer.patch(`/monitors/${monitor.id}`, { url: monitor.url, type: 'zabbix', enabled: false });
      expect(same.status).toBe(200);
      expect(same.body).toMatchObject({ url: monitor.url, enabled: false });
    });
  });

  describe('credentials in monitor URLs (item 6)', () => {
    it.each(['http://admin:zabbix@127.0.0.1/zabbix', 'http://token@127.0.0.1/', 'https://:pw@127.0.0.1:8443/'])(
      'refuses url %s on create and on change with 400 naming url',
      async (url) => {
        const created = await admin.post('/monitors', monitorBody({ url }));
        expect(created.status).toBe(400);
        expect(messageOf(created)).toContain('url must not carry credentials');
        const monitor = await createMonitor(admin);
        const changed = await admin.patch(`/monitors/${monitor.id}`, { url, username: 'Admin', password: 'pw' });
        expect(changed.status).toBe(400);
        expect(messageOf(changed)).toContain('url must not carry credentials');
        expect(JSON.stringify(changed.body)).not.toContain('zabbix@');
      },
    );

    it('shows every reader the values of query parameters named like secrets as ***, and q cannot find them', async () => {
      const token = `tok${unique()}`;
      const url = `http://127.0.0.1:1/zabbix?lang=en&api_token=${token}&ApiKey=${token}`;
      const monitor = await createMonitor(admin, { url });
      const shown = 'http://127.0.0.1:1/zabbix?lang=en&api_token=***&ApiKey=***';

      for (const api of [reader, writer, admin]) {
        const one = await api.get(`/monitors/${monitor.id}`);
        expect(one.body.url).toBe(shown);
        expect(one.text).not.toContain(token);
        const list = await api.get('/monitors', { limit: 500 });
        expect(list.text).not.toContain(token);
      }
      expect((await reader.get('/monitors', { q: token.slice(0, 5) })).body.total).toBe(0);
      expect((await reader.get('/monitors', { q: 'api_token=***' })).body.items).toEqual([
        expect.objectContaining({ id: monitor.id }),
      ]);
      expect((await seed.monitors.findOneByOrFail({ id: monitor.id })).url).toBe(url);
    });

    it('hides credentials of a URL stored before they were refused, and never sends them as Basic auth', async () => {
      const { fake, heard } = await attacker();
      const monitor = await createMonitor(admin);
      const stored = `http://admin:urlpass-${unique()}@${fake.url.slice('http://'.length)}/zabbix`;
      await seed.monitors.update({ id: monitor.id }, { url: stored });

      const shown = await reader.get(`/monitors/${monitor.id}`);
      expect(shown.body.url).toBe(`http://***@${fake.url.slice('http://'.length)}/zabbix`);
      const check = await admin.post(`/monitors/${monitor.id}/check`);
      expect(check.body).toMatchObject({ status: SyncStatus.Error });
      expect(check.body.status_description).toContain('carries credentials');
      expect(heard).toEqual([]);
    });
  });

  describe('error text never depends on the password (item 5)', () => {
    it.each(['zabbix', 'p', 'up', 'api'])(
      'keeps status_description, the task error and the dead letter whole with the password %p',
      async (password) => {
        const fake = await zabbix(password);
        fake.raw((_request, response) => response.writeHead(302, { Location: '/zabbix/api_jsonrpc.php' }).end());
        const monitor = await createMonitor(admin, { url: fake.url, password });
        const expected =
          `Monitor unreachable: HTTP 302 redirect to ${fake.url}/zabbix/api_jsonrpc.php ` +
          '(not followed; point the monitor URL at the API itself)';

        const check = await reader.get(`/monitors/${(await admin.post(`/monitors/${monitor.id}/check`)).body.id}`);
        expect(check.body.status_description).toBe(expected);

        const queued = await admin.post(`/monitors/${monitor.id}/hosts/pull-async`);
        const task = await waitForTask(t.http, await t.login(), queued.body.task_id, 'dead', 20_000);
        expect(task.error).toBe(expected);
        const letter = await reader.get(`/queue/dead/${queued.body.task_id}`);
        expect(letter.body.error).toBe(expected);
      },
    );

    it('shows a refused login by its code when the server echoes the request, and logs no password', async () => {
      const owner = monitorBody();
      const fake = await zabbix(owner.password);
      fake.raw((_request, response, body) => {
        const { method, params, id } = JSON.parse(body);
        const reply =
          method === 'apiinfo.version'
            ? { result: '6.0.14' }
            : { error: { code: -32500, message: 'Application error.', data: `Bad password ${params.password}` } };
        response.writeHead(200).end(JSON.stringify({ jsonrpc: '2.0', ...reply, id }));
      });
      const monitor = await createMonitor(admin, { ...owner, url: fake.url });

      const check = await admin.post(`/monitors/${monitor.id}/check`);
      expect(check.body.status_description).toBe('Monitor rejected the credentials (Zabbix error code -32500)');
      const sync = await admin.post(`/monitors/${monitor.id}/hosts/pull`);
      expect(sync.status).toBe(502);
      expect(sync.body.message).toBe('Monitor rejected the credentials (Zabbix error code -32500)');
      expect(t.systemLog()).toContain('Monitor rejected the credentials (Zabbix error code -32500)');
      expect(t.systemLog()).not.toContain(MONITOR_PASSWORD_MARK);
    });
  });
});
