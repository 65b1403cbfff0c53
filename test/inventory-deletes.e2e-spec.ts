import request from 'supertest';
import { SyncStatus } from '../src/monitors/entities/sync-status';
import { DocumentedResponses } from './support/documented-responses';
import { type Api, apiAs, createHost, createItem, tokenWithPrivilege } from './support/inventory-factory';
import { TASK_TYPES } from '../src/common/task-type-names';
import { queueStats, waitForTask } from './support/queue-helpers';
import { acceptPushes } from './support/zabbix-fakes';
import { startTestApp, type TestApp } from './support/test-app';
import { FakeRpcError } from './support/zabbix';
import { ZabbixInventoryFixture } from './support/zabbix-inventory-fixture';

/**
 * DELETE /hosts/:id and /items/:id for rows that are on a monitor (issue 16 item 7), and a host or item the monitor
 * refuses on a push (issue 22 item 2), against a Zabbix-compatible fixture: a plain delete of a host or item the next
 * pull would bring back is refused, `?on_monitor=true` queues its deletion there (host.delete / item.delete) and
 * then deletes it here. The same deletion against real Zabbix servers is test/zabbix/push-delete.contract-spec.ts.
 */
describe('deleting hosts and items that are on a monitor (e2e)', () => {
  let t: TestApp;
  let documented: DocumentedResponses;
  let token: string;
  let api: Api;
  let fixture: ZabbixInventoryFixture;
  let monitorId: number;
  /** What the fixture was asked to delete, in order. */
  const deleted: { method: string; ids: string[] }[] = [];

  const hostOf = async (externalId: string) => {
    const res = await api.get('/hosts', { monitor_id: monitorId, limit: 100 });
    return (res.body.items as { id: number; external_id: string }[]).find((host) => host.external_id === externalId)!;
  };
  const itemOf = async (hostId: number, externalId: string) => {
    const res = await api.get(`/hosts/${hostId}/items`, { limit: 100 });
    return (res.body.items as { id: number; external_id: string }[]).find((item) => item.external_id === externalId)!;
  };

  beforeAll(async () => {
    t = await startTestApp({ TASK_BACKOFF_MS: '50' });
    documented = await DocumentedResponses.watch(t.http);
    token = await t.login();
    api = apiAs(t, token);
    fixture = await ZabbixInventoryFixture.start(4, 2);
    acceptPushes(fixture);
    fixture.fake
      .on('host.delete', (req) => {
        const ids = (req.params as unknown as string[]).map(String);
        deleted.push({ method: 'host.delete', ids });
        for (const id of ids) fixture.removeHost(id);
        return { hostids: ids };
      })
      .on('item.delete', (req) => {
        const ids = (req.params as unknown as string[]).map(String);
        deleted.push({ method: 'item.delete', ids });
        for (const id of ids) fixture.items.delete(id);
        return { itemids: ids };
      });
    const monitor = await api.post('/monitors', {
      name: `deletes-${Date.now()}`,
      url: fixture.url,
      type: 'zabbix',
      username: 'Admin',
      password: fixture.password,
    });
    monitorId = monitor.body.id;
    expect((await api.post(`/monitors/${monitorId}/hosts/pull`)).status).toBe(200);
  });
  afterAll(async () => {
    await fixture.close();
    await t.close();
  });

  describe('DELETE /hosts/:id', () => {
    it('refuses (409) to delete only here a host that is on its monitor, saying how, and deletes nothing', async () => {
      const host = await hostOf('20000');
      const res = await api.delete(`/hosts/${host.id}`);
      expect(res.status).toBe(409);
      expect(res.body.message).toBe(
        `Host ${host.id} is on monitor ${monitorId} (id 20000 there) and would come back with the next pull: ` +
          `DELETE /hosts/${host.id}?on_monitor=true deletes it on the monitor, then here`,
      );
      expect((await api.get(`/hosts/${host.id}`)).status).toBe(200);
      expect(fixture.hosts.has('20000')).toBe(true);
    });

    it('with on_monitor=true queues a push_host task (202) that deletes it on the monitor, then here', async () => {
      const host = await hostOf('20000');
      const items = (await api.get(`/hosts/${host.id}/items`)).body.items as { id: number }[];
      expect(items).toHaveLength(2);

      const res = await api.delete(`/hosts/${host.id}?on_monitor=true`);
      expect(res.status).toBe(202);
      expect(res.body).toEqual({
        message: 'Host delete task queued',
        task_id: expect.stringMatching(/^push_host:\d+$/),
        monitor_id: monitorId,
        host_id: host.id,
      });
      const task = await waitForTask(t.http, token, res.body.task_id, ['completed', 'failed', 'dead']);
      expect(task).toMatchObject({
        state: 'completed',
        params: { monitor_id: monitorId, host_id: host.id, delete: true },
      });
      expect(task.result).toMatchObject({ deleted: 1 });
      expect(deleted).toContainEqual({ method: 'host.delete', ids: ['20000'] });
      expect(fixture.hosts.has('20000')).toBe(false);
      expect((await api.get(`/hosts/${host.id}`)).status).toBe(404);
      for (const item of items) expect((await api.get(`/items/${item.id}`)).status).toBe(404);
      // Still the guide's seven task types: a delete is a push_host task.
      expect(Object.keys(await queueStats(t.http, token)).sort()).toEqual([...TASK_TYPES].sort());
    });

    it('deletes here at once (204) a host on no monitor, with on_monitor=true or without', async () => {
      const local = await createHost(api);
      expect((await api.delete(`/hosts/${local.id}?on_monitor=true`)).status).toBe(204);
      const pushedNever = await createHost(api, { monitor_id: monitorId });
      const res = await api.delete(`/hosts/${pushedNever.id}`);
      expect(res.status).toBe(204);
      expect(res.text).toBe('');
      expect((await api.get(`/hosts/${pushedNever.id}`)).status).toBe(404);
    });

    it('answers 400 naming on_monitor for a value that is not a boolean', async () => {
      const host = await hostOf('20001');
      const res = await api.delete(`/hosts/${host.id}?on_monitor=maybe`);
      expect(res.status).toBe(400);
      expect(JSON.stringify(res.body.message)).toContain('on_monitor');
      expect((await api.get(`/hosts/${host.id}`)).status).toBe(200);
    });

    it('answers 403 to a privilege-1 user, with or without on_monitor, and deletes nothing', async () => {
      const reader = apiAs(t, await tokenWithPrivilege(t, api, 1));
      const host = await hostOf('20001');
      expect((await reader.delete(`/hosts/${host.id}?on_monitor=true`)).status).toBe(403);
      expect((await reader.delete(`/hosts/${host.id}`)).status).toBe(403);
      expect(fixture.hosts.has('20001')).toBe(true);
    });

    it("keeps a host whose deletion the monitor refuses, with Zabbix's reason, in one attempt", async () => {
      const host = await hostOf('20001');
      const refusal = 'No permissions to referred object or it does not exist!';
      fixture.fake.on('host.delete', () => {
        throw new FakeRpcError(refusal);
      });
      const res = await api.delete(`/hosts/${host.id}?on_monitor=true`);
      expect(res.status).toBe(202);
      const task = await waitForTask(t.http, token, res.body.task_id, ['failed', 'dead']);
      expect(task).toMatchObject({
        attempts_made: 1,
        error: `Monitor API error in host.delete: Invalid params. ${refusal}`,
      });
      expect((await api.get(`/hosts/${host.id}`)).body).toMatchObject({
        status: SyncStatus.Error,
        status_description: `Monitor API error in host.delete: Invalid params. ${refusal}`,
      });
      expect((await api.get(`/monitors/${monitorId}`)).body.status).toBe(SyncStatus.Active);
    });
  });

  describe('DELETE /items/:id', () => {
    it('refuses (409) a plain delete of an item on a monitor; on_monitor=true deletes it there (202), then here', async () => {
      const host = await hostOf('20002');
      const item = await itemOf(host.id, '1000004');
      const refused = await api.delete(`/items/${item.id}`);
      expect(refused.status).toBe(409);
      expect(refused.body.message).toContain(`DELETE /items/${item.id}?on_monitor=true`);

      const res = await api.delete(`/items/${item.id}?on_monitor=1`);
      expect(res.status).toBe(202);
      expect(res.body).toEqual({
        message: 'Item delete task queued',
        task_id: expect.stringMatching(/^push_item:\d+$/),
        monitor_id: monitorId,
        host_id: host.id,
        item_id: item.id,
      });
      const task = await waitForTask(t.http, token, res.body.task_id, ['completed', 'failed', 'dead']);
      expect(task).toMatchObject({ state: 'completed', result: { deleted: 1 } });
      expect(deleted).toContainEqual({ method: 'item.delete', ids: ['1000004'] });
      expect((await api.get(`/items/${item.id}`)).status).toBe(404);
      expect((await api.get(`/hosts/${host.id}`)).status).toBe(200);
    });

    it('deletes a local item (204) even on a host that is on a monitor; 400 and 403 as for hosts', async () => {
      const host = await hostOf('20002');
      const local = await createItem(api, host.id);
      const other = await itemOf(host.id, '1000005');
      expect((await api.delete(`/items/${other.id}?on_monitor=yes`)).status).toBe(400);
      const reader = apiAs(t, await tokenWithPrivilege(t, api, 1));
      expect((await reader.delete(`/items/${other.id}?on_monitor=true`)).status).toBe(403);
      expect((await api.delete(`/items/${local.id}`)).status).toBe(204);
      expect((await api.get(`/items/${other.id}`)).status).toBe(200);
    });
  });

  describe('a host the monitor refuses on a push', () => {
    it("answers 409 with Zabbix's message, puts the host (not the monitor) in error, and fails its task once", async () => {
      // A visible name Zabbix has (a technical name it has is refused naming both hosts: sync.e2e-spec.ts).
      const refusal = 'Host with the same visible name "dup-host" already exists.';
      fixture.fake.on('host.create', () => {
        throw new FakeRpcError(refusal);
      });
      const message = `Monitor API error in host.create: Invalid params. ${refusal}`;
      const host = await createHost(api, { name: 'dup-host', monitor_id: monitorId });
      const res = await api.post(`/monitors/${monitorId}/hosts/${host.id}/push`);
      expect(res.status).toBe(409);
      expect(res.body).toEqual({ statusCode: 409, message, error: 'Conflict' });
      expect((await api.get(`/hosts/${host.id}`)).body).toMatchObject({
        status: SyncStatus.Error,
        status_description: message,
        external_id: null,
      });
      expect((await api.get(`/monitors/${monitorId}`)).body).toMatchObject({ status: SyncStatus.Active });

      const calls = fixture.fake.calls('host.create').length;
      const queued = await api.post(`/monitors/${monitorId}/hosts/${host.id}/push-async`);
      const task = await waitForTask(t.http, token, queued.body.task_id, ['failed', 'dead']);
      expect(task).toMatchObject({ attempts_made: 1, error: message });
      expect(fixture.fake.calls('host.create').length).toBe(calls + 1);
    });

    it('answers 422 when the monitor finds the host invalid', async () => {
      fixture.fake.on('host.create', () => {
        throw new FakeRpcError('Incorrect value for field "name": cannot be empty.');
      });
      const host = await createHost(api, { monitor_id: monitorId });
      const res = await api.post(`/monitors/${monitorId}/hosts/${host.id}/push`);
      expect(res.status).toBe(422);
      expect(res.body.message).toBe(
        'Monitor API error in host.create: Invalid params. Incorrect value for field "name": cannot be empty.',
      );
      expect((await api.get(`/monitors/${monitorId}`)).body.status).toBe(SyncStatus.Active);
    });
  });

  it('documents 422 on the push routes only, and 202, 204 and 409 with on_monitor on the deletes', async () => {
    const doc = (await request(t.http).get('/docs-json')).body as {
      paths: Record<string, Record<string, { responses: object; parameters?: { name: string }[] }>>;
    };
    const statuses = (path: string, method: string) => Object.keys(doc.paths[`/api/v1${path}`][method].responses);
    expect(statuses('/monitors/{id}/hosts/{hid}/push', 'post')).toContain('422');
    expect(statuses('/monitors/{id}/hosts/{hid}/items/{iid}/push', 'post')).toContain('422');
    expect(statuses('/monitors/{id}/hosts/pull', 'post')).not.toContain('422');
    for (const path of ['/hosts/{id}', '/items/{id}']) {
      expect(statuses(path, 'delete')).toEqual(
        expect.arrayContaining(['202', '204', '400', '403', '404', '409', '503']),
      );
      expect(doc.paths[`/api/v1${path}`].delete.parameters).toContainEqual(
        expect.objectContaining({ name: 'on_monitor', in: 'query', required: false }),
      );
    }
  });

  it('answered every request of this suite with a status and a body its OpenAPI document gives', () => {
    expect(documented.checked).toBeGreaterThan(20);
    expect(documented.problems()).toEqual([]);
  });
});
