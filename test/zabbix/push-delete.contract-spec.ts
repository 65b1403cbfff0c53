import request from 'supertest';
import { DataSource } from 'typeorm';
import { Host } from '../../src/monitors/entities/host.entity';
import { SyncStatus } from '../../src/monitors/entities/sync-status';
import { waitForTask } from '../support/queue-helpers';
import { startTestApp, type TestApp } from '../support/test-app';
import { describeZabbix, runId, ZabbixApi, type ZabbixEnv } from '../support/zabbix';

/*
 * Issue 22 items 1, 2 and 4 and issue 16 item 7 against a real Zabbix (6.0 and 7.0 in CI): a push of a pulled host
 * and of a pulled template item changes nothing on Zabbix; a host whose name Zabbix already has is that host's
 * failure (409), not the monitor's; a host without an address is created with no interface; and a host or item
 * deleted with ?on_monitor=true is gone from Zabbix. Pushed hosts join this run's own group (SYNC_PUSH_GROUP), and
 * everything this suite creates in Zabbix is deleted in afterAll.
 */
describeZabbix('Push and delete on the monitor against a real Zabbix (contract)', (env: ZabbixEnv) => {
  const run = runId();
  const pushGroup = `Nagare push ${run}`;
  let zabbix: ZabbixApi;
  let t: TestApp;
  let token: string;
  let monitorId: number;
  let groupId: string;
  const createdHostIds: string[] = [];
  const cleanup = { templateId: '', templateGroupId: '' };

  const http = {
    get: (path: string) => request(t.http).get(`/api/v1${path}`).set('Authorization', `Bearer ${token}`),
    post: (path: string, body?: object) =>
      request(t.http).post(`/api/v1${path}`).set('Authorization', `Bearer ${token}`).send(body),
    delete: (path: string) => request(t.http).delete(`/api/v1${path}`).set('Authorization', `Bearer ${token}`),
  };

  /** Everything host.get tells of the host, so that any change a push makes shows up. */
  const zabbixHost = async (hostid: string) => {
    const [host] = await zabbix.call<Record<string, unknown>[]>('host.get', {
      hostids: [hostid],
      output: 'extend',
      selectInterfaces: 'extend',
      [zabbix.hostGroupsParam]: ['groupid', 'name'],
      selectParentTemplates: ['templateid', 'name'],
      selectMacros: 'extend',
      selectTags: 'extend',
      selectInventory: 'extend',
    });
    return host;
  };
  const zabbixItems = (hostid: string) =>
    zabbix.call<Record<string, string>[]>('item.get', {
      hostids: [hostid],
      output: 'extend',
      selectTags: 'extend',
      selectPreprocessing: 'extend',
      sortfield: 'itemid',
    });

  async function createZabbixHost(params: Record<string, unknown>): Promise<string> {
    const { hostids } = await zabbix.call<{ hostids: string[] }>('host.create', {
      groups: [{ groupid: groupId }],
      ...params,
    });
    createdHostIds.push(hostids[0]);
    return hostids[0];
  }

  /**
   * A small template of this run: two trapper items with descriptions (the "Linux by Zabbix agent" template would do
   * too, but linking it takes minutes on a busy 6.0 and holds Zabbix's id lock all that time).
   */
  async function createTemplate(): Promise<string> {
    const [major, minor] = zabbix.version.split('.').map(Number);
    let groups = [{ groupid: groupId }];
    if (major > 6 || (major === 6 && minor >= 2)) {
      // From 6.2 templates live in template groups.
      const created = await zabbix.call<{ groupids: string[] }>('templategroup.create', {
        name: `${pushGroup} templates`,
      });
      cleanup.templateGroupId = created.groupids[0];
      groups = [{ groupid: cleanup.templateGroupId }];
    }
    const { templateids } = await zabbix.call<{ templateids: string[] }>('template.create', {
      host: `Nagare push template ${run}`,
      groups,
    });
    cleanup.templateId = templateids[0];
    await zabbix.call(
      'item.create',
      ['cpu', 'disk'].map((what) => ({
        hostid: cleanup.templateId,
        name: `Nagare ${what}`,
        key_: `nagare.${what}[${run}]`,
        type: 2,
        value_type: 0,
        units: '%',
        description: `The ${what} figure, as the template defines it`,
      })),
    );
    return cleanup.templateId;
  }

  /** A local host stored as a pull finds one (monitor and external id), then pulled with its items. */
  async function pulledHost(externalId: string): Promise<number> {
    const hosts = t.app.get(DataSource).getRepository(Host);
    const host = await hosts.save(hosts.create({ name: `placeholder-${run}`, monitorId, externalId }));
    expect((await http.post(`/monitors/${monitorId}/hosts/${host.id}/pull`)).status).toBe(200);
    expect((await http.post(`/monitors/${monitorId}/hosts/${host.id}/items/pull`)).status).toBe(200);
    return host.id;
  }

  beforeAll(async () => {
    zabbix = await ZabbixApi.login(env);
    const { groupids } = await zabbix.call<{ groupids: string[] }>('hostgroup.create', { name: pushGroup });
    groupId = groupids[0];
    t = await startTestApp({ SYNC_PUSH_GROUP: pushGroup, TASK_BACKOFF_MS: '50' });
    token = await t.login();
    const monitor = await http.post('/monitors', {
      name: `Nagare push ${run}`,
      url: env.url,
      type: 'zabbix',
      username: env.user,
      password: env.password,
    });
    monitorId = monitor.body.id;
    expect((await http.post(`/monitors/${monitorId}/check`)).body.status).toBe(SyncStatus.Active);
  }, 60_000);

  afterAll(async () => {
    if (!zabbix) return;
    const left = await zabbix.call<{ hostid: string }[]>('host.get', {
      output: ['hostid'],
      groupids: groupId ? [groupId] : [],
    });
    const hostids = [...new Set([...createdHostIds, ...left.map((host) => host.hostid)])];
    const existing = await zabbix.call<{ hostid: string }[]>('host.get', { output: ['hostid'], hostids });
    if (existing.length > 0)
      await zabbix.call(
        'host.delete',
        existing.map((host) => host.hostid),
      );
    if (cleanup.templateId) await zabbix.call('template.delete', [cleanup.templateId]);
    if (cleanup.templateGroupId) await zabbix.call('templategroup.delete', [cleanup.templateGroupId]);
    if (groupId) await zabbix.call('hostgroup.delete', [groupId]);
    await zabbix.close();
    await t?.close();
  }, 60_000);

  it('pushes a pulled host and a pulled template item with a description without changing anything on Zabbix', async () => {
    const templateid = await createTemplate();
    const hostid = await createZabbixHost({
      host: `nagare-pulled-${run}`,
      name: `Nagare pulled ${run}`,
      description: 'Arranged by the push contract suite',
      interfaces: [{ type: 1, main: 1, useip: 1, ip: '127.0.3.1', dns: '', port: '10050' }],
      templates: [{ templateid }],
    });
    const hostId = await pulledHost(hostid);

    const itemsBefore = await zabbixItems(hostid);
    const templated = itemsBefore.find((item) => item.templateid !== '0' && item.description !== '');
    expect(templated).toBeDefined();
    const local = (await http.get(`/hosts/${hostId}/items?limit=500`)).body.items as {
      id: number;
      external_id: string;
      description: string;
    }[];
    const localItem = local.find((item) => item.external_id === templated!.itemid)!;
    // The pull keeps Zabbix's description, so the push has nothing to send for it.
    expect(localItem.description).toBe(templated!.description);
    expect((await http.get(`/hosts/${hostId}`)).body).toMatchObject({
      description: 'Arranged by the push contract suite',
      ip_addr: '127.0.3.1',
    });

    const hostBefore = await zabbixHost(hostid);
    const pushedHost = await http.post(`/monitors/${monitorId}/hosts/${hostId}/push`);
    expect(pushedHost.status).toBe(200);
    const pushedItem = await http.post(`/monitors/${monitorId}/hosts/${hostId}/items/${localItem.id}/push`);
    expect(pushedItem.status).toBe(200);

    expect(await zabbixHost(hostid)).toEqual(hostBefore);
    expect(await zabbixItems(hostid)).toEqual(itemsBefore);
  }, 120_000);

  it("answers 409 with Zabbix's message for a host whose name Zabbix has, marking the host, not the monitor", async () => {
    // The visible name is taken; the technical name is free (a taken one is refused naming both hosts: see
    // host-names-groups.contract-spec.ts).
    const name = `nagare-dup-${run}`;
    await createZabbixHost({ host: `${name}-elsewhere`, name });
    const created = await http.post('/hosts', { name, monitor_id: monitorId });
    expect(created.status).toBe(201);
    const monitorBefore = (await http.get(`/monitors/${monitorId}`)).body;

    const res = await http.post(`/monitors/${monitorId}/hosts/${created.body.id}/push`);
    expect(res.status).toBe(409);
    expect(res.body.message).toMatch(/^Monitor API error in host\.create: Invalid params\. Host .*already exists/);
    expect((await http.get(`/hosts/${created.body.id}`)).body).toMatchObject({
      status: SyncStatus.Error,
      status_description: res.body.message,
      external_id: null,
    });
    expect((await http.get(`/monitors/${monitorId}`)).body).toMatchObject({
      status: monitorBefore.status,
      status_description: monitorBefore.status_description,
    });

    const queued = await http.post(`/monitors/${monitorId}/hosts/${created.body.id}/push-async`);
    expect(queued.status).toBe(202);
    const task = await waitForTask(t.http, token, queued.body.task_id, ['failed', 'dead'], 30_000);
    expect(task).toMatchObject({ attempts_made: 1, error: res.body.message });
    const sameName = await zabbix.call<unknown[]>('host.get', { output: ['hostid'], filter: { name: [name] } });
    expect(sameName).toHaveLength(1);
  }, 60_000);

  it('creates a host without an address with no interface, and a pull does not give it one', async () => {
    const created = await http.post('/hosts', { name: `nagare-noif-${run}`, monitor_id: monitorId });
    const hostId = created.body.id as number;
    expect((await http.post(`/monitors/${monitorId}/hosts/${hostId}/push`)).body).toMatchObject({ added: 1 });
    const hostid = (await http.get(`/hosts/${hostId}`)).body.external_id as string;
    createdHostIds.push(hostid);

    const host = await zabbixHost(hostid);
    expect(host.interfaces).toEqual([]);
    expect(host[zabbix.hostGroupsParam === 'selectHostGroups' ? 'hostgroups' : 'groups']).toEqual([
      { groupid: groupId, name: pushGroup },
    ]);
    expect((await http.post(`/monitors/${monitorId}/hosts/${hostId}/pull`)).status).toBe(200);
    expect((await http.get(`/hosts/${hostId}`)).body).toMatchObject({ ip_addr: null, status: SyncStatus.Active });
    expect((await zabbixHost(hostid)).interfaces).toEqual([]);
  }, 60_000);

  it('deletes an item, then a host, on Zabbix with on_monitor=true, then here; a plain DELETE is refused', async () => {
    const created = await http.post('/hosts', { name: `nagare-delete-${run}`, monitor_id: monitorId });
    const hostId = created.body.id as number;
    const item = await http.post(`/hosts/${hostId}/items`, { name: 'Nagare delete', key: `nagare.delete[${run}]` });
    expect((await http.post(`/monitors/${monitorId}/hosts/${hostId}/items/${item.body.id}/push`)).status).toBe(200);
    const hostid = (await http.get(`/hosts/${hostId}`)).body.external_id as string;
    const itemid = (await http.get(`/items/${item.body.id}`)).body.external_id as string;
    createdHostIds.push(hostid);

    expect((await http.delete(`/items/${item.body.id}`)).status).toBe(409);
    const itemDelete = await http.delete(`/items/${item.body.id}?on_monitor=true`);
    expect(itemDelete.status).toBe(202);
    const itemTask = await waitForTask(t.http, token, itemDelete.body.task_id, ['completed', 'failed', 'dead']);
    expect(itemTask).toMatchObject({ state: 'completed', result: { deleted: 1 } });
    expect(await zabbix.call('item.get', { output: ['itemid'], itemids: [itemid] })).toEqual([]);
    expect((await http.get(`/items/${item.body.id}`)).status).toBe(404);

    expect((await http.delete(`/hosts/${hostId}`)).status).toBe(409);
    const hostDelete = await http.delete(`/hosts/${hostId}?on_monitor=true`);
    expect(hostDelete.status).toBe(202);
    const hostTask = await waitForTask(t.http, token, hostDelete.body.task_id, ['completed', 'failed', 'dead']);
    expect(hostTask).toMatchObject({ state: 'completed', result: { deleted: 1 } });
    expect(await zabbix.call('host.get', { output: ['hostid'], hostids: [hostid] })).toEqual([]);
    expect((await http.get(`/hosts/${hostId}`)).status).toBe(404);
  }, 60_000);
});
