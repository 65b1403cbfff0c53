import { CredentialsCipher } from '../src/monitors/credentials-cipher';
import { SyncStatus } from '../src/monitors/entities/sync-status';
import {
  type Api,
  apiAs,
  createHost,
  createMonitor,
  expectNoMonitorSecrets,
  MONITOR_PASSWORD_MARK,
  monitorBody,
  seeder,
  tokenWithPrivilege,
  unique,
  unreachableUrl,
} from './support/inventory-factory';
import { DocumentedResponses } from './support/documented-responses';
import { startTestApp, type TestApp } from './support/test-app';
import { ISO_DATE } from './support/time';
import { ids, messageOf } from './support/http';
import { describeListEndpoint } from './support/list-endpoint-suite';

/** The 400 message of the ValidationPipe (a list) or of a pipe (a string), as one text to search. */

describe('monitors (e2e)', () => {
  let t: TestApp;
  let documented: DocumentedResponses;
  let api: Api;
  let seed: ReturnType<typeof seeder>;

  beforeAll(async () => {
    t = await startTestApp();
    documented = await DocumentedResponses.watch(t.http);
    // Every response of this suite is searched for a monitor password or a password/token field.
    api = apiAs(t, await t.login(), (res) => expectNoMonitorSecrets(res));
    seed = seeder(t);
  });
  afterAll(() => t.close());

  describe('POST /monitors', () => {
    it('creates a monitor (201) and answers in snake_case without its password', async () => {
      const body = monitorBody({ description: 'production Zabbix', enabled: false });
      const res = await api.post('/monitors', body);

      expect(res.status).toBe(201);
      expect(res.body).toEqual({
        id: expect.any(Number),
        name: body.name,
        url: body.url,
        type: 'zabbix',
        username: 'Admin',
        description: 'production Zabbix',
        enabled: false,
        status: SyncStatus.Inactive,
        status_description: '',
        last_sync_at: null,
        created_at: expect.stringMatching(ISO_DATE),
        updated_at: expect.stringMatching(ISO_DATE),
      });
      expectNoMonitorSecrets(res, body.password);

      const fetched = await api.get(`/monitors/${res.body.id}`);
      expect(fetched.status).toBe(200);
      expect(fetched.body).toEqual(res.body);
    });

    it('defaults description to empty and enabled to true', async () => {
      const monitor = await createMonitor(api);
      expect(monitor).toMatchObject({ description: '', enabled: true });
    });

    it('stores the password encrypted, never as the plain text', async () => {
      const body = monitorBody();
      const { id } = await createMonitor(api, body);

      const row = await seed.monitors.findOneByOrFail({ id });
      expect(row.passwordEncrypted).not.toContain(body.password);
      expect(row.passwordEncrypted).not.toContain(MONITOR_PASSWORD_MARK);
      expect(row.passwordEncrypted).not.toContain(Buffer.from(body.password).toString('base64'));
      expect(t.app.get(CredentialsCipher).decrypt(row.passwordEncrypted)).toBe(body.password);
      expect(row.authTokenEncrypted).toBeNull();
    });

    it('refuses type "prometheus" with 400 naming the supported types', async () => {
      const res = await api.post('/monitors', monitorBody({ type: 'prometheus' }));
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
      expect(messageOf(res)).toContain('type must be one of the supported types: zabbix');
    });

    it.each(['ftp://x', 'not a url', 'zabbix.example.test'])('refuses url %p with 400 naming url', async (url) => {
      const res = await api.post('/monitors', monitorBody({ url }));
      expect(res.status).toBe(400);
      expect(messageOf(res)).toContain('url must be an http(s) URL');
    });

    it('names every missing field in one 400', async () => {
      const res = await api.post('/monitors', {});
      expect(res.status).toBe(400);
      const message = res.body.message as string[];
      for (const field of ['name', 'url', 'type', 'username', 'password']) {
        expect(message.some((line) => line.startsWith(`${field} `))).toBe(true);
      }
      expect(message.some((line) => /^(description|enabled) /.test(line))).toBe(false);
    });

    it('refuses an unknown property with 400 naming it', async () => {
      const res = await api.post('/monitors', { ...monitorBody(), auth_token: 'abc' });
      expect(res.status).toBe(400);
      expect(messageOf(res)).toContain('property auth_token should not exist');
    });

    it('refuses a non-boolean enabled with 400', async () => {
      const res = await api.post('/monitors', { ...monitorBody(), enabled: 'yes' });
      expect(res.status).toBe(400);
      expect(messageOf(res)).toContain('enabled must be a boolean value');
    });

    it('answers 409 to a name that is taken', async () => {
      const { name } = await createMonitor(api);
      const res = await api.post('/monitors', monitorBody({ name }));
      expect(res.status).toBe(409);
      expect(res.body).toEqual({ statusCode: 409, error: 'Conflict', message: expect.stringContaining(name) });
    });
  });

  describe('GET /monitors', () => {
    /** Five monitors whose names share a tag, so each filter can be checked against exactly these. */
    const tag = `list${unique()}`;
    const made: Record<string, number> = {};

    beforeAll(async () => {
      const specs = {
        alpha: { name: `${tag} Alpha`, url: `http://a-${tag}.example.test/zabbix` },
        percent: { name: `${tag} Beta 100%`, url: `http://b-${tag}.example.test/zabbix`, enabled: false },
        lookalike: { name: `${tag} Gamma 100x`, url: `http://c-${tag}.example.test/zabbix` },
        underscore: { name: `${tag} Delta a_b`, url: `http://d-${tag}.example.test/zabbix` },
        plain: { name: `${tag} Epsilon axb`, url: `http://e-${tag}.example.test/zabbix`, enabled: false },
      };
      for (const [key, spec] of Object.entries(specs)) made[key] = (await createMonitor(api, spec)).id;
      await seed.monitors.update({ id: made.lookalike }, { status: SyncStatus.Error, statusDescription: 'down' });
    });

    const list = async (query: Record<string, string | number>) => {
      const res = await api.get('/monitors', query);
      expect(res.status).toBe(200);
      return res;
    };

    describeListEndpoint('GET /monitors', {
      list: (query) => api.get('/monitors', query),
      seed: async () => ({ query: { q: tag }, ids: Object.values(made) }),
      refused: [
        [{ type: 'prometheus' }, 'type'],
        [{ enabled: 'maybe' }, 'enabled'],
        [{ status: '7' }, 'status'],
        [{ status: 'x' }, 'status'],
      ],
    });

    it('answers each monitor with its sync status', async () => {
      const res = await list({ q: tag });
      expect(res.body.items[0]).toMatchObject({ name: `${tag} Alpha`, status_description: '', last_sync_at: null });
    });

    it('matches q against the name, case-insensitively', async () => {
      expect(ids(await list({ q: `${tag} ALPHA`.toUpperCase() }))).toEqual([made.alpha]);
    });

    it('matches q against the url, case-insensitively', async () => {
      expect(ids(await list({ q: `C-${tag}.EXAMPLE` }))).toEqual([made.lookalike]);
    });

    it('takes % and _ in q literally', async () => {
      expect(ids(await list({ q: `${tag} Beta 100%` }))).toEqual([made.percent]);
      expect(ids(await list({ q: '100%' })).filter((id) => Object.values(made).includes(id))).toEqual([made.percent]);
      expect(ids(await list({ q: 'a_b' })).filter((id) => Object.values(made).includes(id))).toEqual([made.underscore]);
    });

    it('filters by type', async () => {
      expect((await list({ q: tag, type: 'zabbix' })).body.total).toBe(5);
    });

    it('filters by status', async () => {
      expect(ids(await list({ q: tag, status: 2 }))).toEqual([made.lookalike]);
      expect((await list({ q: tag, status: 0 })).body.total).toBe(4);
    });

    it.each([
      ['true', ['alpha', 'lookalike', 'underscore']],
      ['1', ['alpha', 'lookalike', 'underscore']],
      ['false', ['percent', 'plain']],
      ['0', ['percent', 'plain']],
    ])('filters enabled=%s', async (enabled, keys) => {
      expect(ids(await list({ q: tag, enabled }))).toEqual(keys.map((key) => made[key]));
    });
  });

  describe('GET /monitors/:id', () => {
    it('answers 404 to an unknown id', async () => {
      const res = await api.get('/monitors/999999');
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ statusCode: 404, error: 'Not Found', message: 'Monitor 999999 not found' });
    });

    it.each(['abc', '-1', '0', '1.5', '1e3'])('answers 400 to id %p', async (id) => {
      const res = await api.get(`/monitors/${id}`);
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ statusCode: 400, error: 'Bad Request', message: 'id must be a positive integer' });
    });
  });

  describe('PATCH /monitors/:id', () => {
    it('changes the fields it is given and keeps the others', async () => {
      const monitor = await createMonitor(api, { description: 'before' });
      const name = `renamed-${unique()}`;
      const res = await api.patch(`/monitors/${monitor.id}`, {
        name,
        url: 'https://zabbix2.example.test/',
        username: 'api-user',
        password: `${MONITOR_PASSWORD_MARK}${unique()}`,
        enabled: false,
      });

      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        ...monitor,
        name,
        url: 'https://zabbix2.example.test/',
        username: 'api-user',
        enabled: false,
        updated_at: expect.stringMatching(ISO_DATE),
      });
      expect((await api.get(`/monitors/${monitor.id}`)).body).toEqual(res.body);
    });

    it('changes the password, keeps it out of the response and clears the cached session token', async () => {
      const monitor = await createMonitor(api);
      const cipher = t.app.get(CredentialsCipher);
      await seed.monitors.update({ id: monitor.id }, { authTokenEncrypted: cipher.encrypt('cached-session') });
      const password = `${MONITOR_PASSWORD_MARK}new-${unique()}`;

      const res = await api.patch(`/monitors/${monitor.id}`, { password });

      expect(res.status).toBe(200);
      expectNoMonitorSecrets(res, password);
      const row = await seed.monitors.findOneByOrFail({ id: monitor.id });
      expect(row.passwordEncrypted).not.toContain(password);
      expect(cipher.decrypt(row.passwordEncrypted)).toBe(password);
      expect(row.authTokenEncrypted).toBeNull();
    });

    it('keeps the cached session token when no credential changes', async () => {
      const monitor = await createMonitor(api);
      const sealed = t.app.get(CredentialsCipher).encrypt('cached-session');
      await seed.monitors.update({ id: monitor.id }, { authTokenEncrypted: sealed });

      expect((await api.patch(`/monitors/${monitor.id}`, { description: 'only this' })).status).toBe(200);

      expect((await seed.monitors.findOneByOrFail({ id: monitor.id })).authTokenEncrypted).toBe(sealed);
    });

    it('validates the changes as on create', async () => {
      const monitor = await createMonitor(api);
      const type = await api.patch(`/monitors/${monitor.id}`, { type: 'snmp' });
      expect(type.status).toBe(400);
      expect(messageOf(type)).toContain('supported types: zabbix');
      const url = await api.patch(`/monitors/${monitor.id}`, { url: 'ftp://x' });
      expect(url.status).toBe(400);
      expect(messageOf(url)).toContain('url');
      const unknown = await api.patch(`/monitors/${monitor.id}`, { token: 'x' });
      expect(unknown.status).toBe(400);
      expect(messageOf(unknown)).toContain('property token should not exist');
    });

    it.each(['name', 'url', 'type', 'username', 'password', 'description', 'enabled'])(
      'answers 400 naming %s when it is sent as null, and changes nothing',
      async (field) => {
        const monitor = await createMonitor(api);
        const res = await api.patch(`/monitors/${monitor.id}`, { [field]: null });
        expect(res.status).toBe(400);
        expect(messageOf(res)).toContain(field);
        expect((await api.get(`/monitors/${monitor.id}`)).body).toEqual(monitor);
      },
    );

    it('answers 409 when renaming onto another monitor, and 404 to an unknown id', async () => {
      const [first, second] = [await createMonitor(api), await createMonitor(api)];
      expect((await api.patch(`/monitors/${second.id}`, { name: first.name })).status).toBe(409);
      expect((await api.patch(`/monitors/${second.id}`, { name: second.name })).status).toBe(200);
      expect((await api.patch('/monitors/999999', { description: 'x' })).status).toBe(404);
    });
  });

  describe('DELETE /monitors/:id', () => {
    it('deletes (204), then answers 404', async () => {
      const monitor = await createMonitor(api);
      const res = await api.delete(`/monitors/${monitor.id}`);
      expect(res.status).toBe(204);
      expect(res.text).toBe('');
      expect((await api.get(`/monitors/${monitor.id}`)).status).toBe(404);
      expect((await api.delete(`/monitors/${monitor.id}`)).status).toBe(404);
    });

    it('keeps its hosts, with their items and groups, as local hosts', async () => {
      const monitor = await createMonitor(api);
      const other = await createMonitor(api);
      const group = await seed.group({ monitorId: monitor.id, externalId: '77' });
      const synced = await seed.syncedHost(monitor.id, {
        ipAddr: '127.0.2.10',
        description: 'kept',
        groupId: group.id,
      });
      const item = await seed.syncedItem(synced);
      const local = await createHost(api, { monitor_id: monitor.id });
      const elsewhere = await seed.syncedHost(other.id);

      expect((await api.delete(`/monitors/${monitor.id}`)).status).toBe(204);

      const kept = await api.get(`/hosts/${synced.id}`);
      expect(kept.status).toBe(200);
      expect(kept.body).toMatchObject({
        name: synced.name,
        monitor_id: null,
        external_id: null,
        ip_addr: '127.0.2.10',
        description: 'kept',
        group_id: group.id,
      });
      const groups = (await api.get('/groups')).body as Array<{ id: number; monitor_id: number | null }>;
      expect(groups.find((g) => g.id === group.id)).toMatchObject({ monitor_id: null, external_id: null });
      expect((await api.get(`/hosts/${local.id}`)).body).toMatchObject({ monitor_id: null, external_id: null });
      expect((await api.get(`/items/${item.id}`)).body).toMatchObject({ host_id: synced.id, name: item.name });
      expect((await api.get(`/hosts/${elsewhere.id}`)).body).toMatchObject({
        monitor_id: other.id,
        external_id: elsewhere.externalId,
      });
    });
  });

  describe('POST /monitors/:id/check', () => {
    it('answers 200 with the monitor in status 2 and the reason when it cannot be reached', async () => {
      const body = monitorBody({ url: await unreachableUrl() });
      const monitor = await createMonitor(api, body);

      const res = await api.post(`/monitors/${monitor.id}/check`);

      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id: monitor.id, name: body.name, status: SyncStatus.Error });
      expect(res.body.status_description).toMatch(/unreachable/i);
      expect(res.body.status_description).toMatch(/ECONNREFUSED|refused/i);
      expect(res.body.status_description).not.toContain(body.password);
      expectNoMonitorSecrets(res, body.password);
      expect((await api.get(`/monitors/${monitor.id}`)).body).toMatchObject({
        status: SyncStatus.Error,
        status_description: res.body.status_description,
      });
    });

    it('answers 404 to an unknown monitor and 400 to a bad id', async () => {
      expect((await api.post('/monitors/999999/check')).status).toBe(404);
      expect((await api.post('/monitors/abc/check')).status).toBe(400);
    });
  });

  describe('privileges', () => {
    let monitorId: number;
    let reader: Api;
    let writer: Api;

    beforeAll(async () => {
      monitorId = (await createMonitor(api, { url: await unreachableUrl() })).id;
      const inspect = (res: Parameters<typeof expectNoMonitorSecrets>[0]) => expectNoMonitorSecrets(res);
      reader = apiAs(t, await tokenWithPrivilege(t, api, 1), inspect);
      writer = apiAs(t, await tokenWithPrivilege(t, api, 2), inspect);
    });

    it('lets a privilege-1 user read monitors', async () => {
      expect((await reader.get('/monitors')).status).toBe(200);
      expect((await reader.get(`/monitors/${monitorId}`)).status).toBe(200);
    });

    it('answers 403 to every monitor write by a privilege-1 user, and changes nothing', async () => {
      const before = (await api.get(`/monitors/${monitorId}`)).body;
      const attempts = [
        await reader.post('/monitors', monitorBody()),
        await reader.patch(`/monitors/${monitorId}`, { description: 'changed' }),
        await reader.delete(`/monitors/${monitorId}`),
        await reader.post(`/monitors/${monitorId}/check`),
      ];
      for (const res of attempts) {
        expect(res.status).toBe(403);
        expect(res.body).toMatchObject({ statusCode: 403, error: 'Forbidden' });
      }
      expect((await api.get(`/monitors/${monitorId}`)).body).toEqual(before);
    });

    it('lets a privilege-2 user create, change, check and delete a monitor', async () => {
      const res = await writer.post('/monitors', monitorBody({ url: await unreachableUrl() }));
      expect(res.status).toBe(201);
      expect((await writer.patch(`/monitors/${res.body.id}`, { description: 'by a writer' })).status).toBe(200);
      expect((await writer.post(`/monitors/${res.body.id}/check`)).status).toBe(200);
      expect((await writer.delete(`/monitors/${res.body.id}`)).status).toBe(204);
    });
  });

  it('writes no monitor password to the log', async () => {
    // The suite above created, changed and checked monitors, and put some in error: none of it may log a password.
    const log = t.systemLog();
    expect(log).toContain('monitor in error');
    expect(log).not.toContain(MONITOR_PASSWORD_MARK);
  });

  it('answered every request of this suite with a status and a body its OpenAPI document gives', () => {
    expect(documented.checked).toBeGreaterThan(20);
    expect(documented.problems()).toEqual([]);
  });
});
