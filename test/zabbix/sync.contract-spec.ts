import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { CredentialsCipher } from '../../src/monitors/credentials-cipher';
import { Monitor } from '../../src/monitors/entities/monitor.entity';
import { SyncStatus } from '../../src/monitors/entities/sync-status';
import { startTestApp, type TestApp } from '../support/test-app';
import { describeZabbix, runId, ZabbixApi, ZabbixApiError, type ZabbixEnv } from '../support/zabbix';

/*
 * The sync round trip through our HTTP API against a real Zabbix (6.0 and 7.0 in CI, see scripts/zabbix*-local.sh).
 * ZABBIX_USER (a super admin) arranges and inspects Zabbix behind the service's back with the raw client; the
 * monitor under test logs in as a Zabbix user of this run that may see and write only this run's host group, so
 * what a pull finds is exactly what this suite made, whatever else the server holds (the built-in host, the
 * provider suite's hosts created in parallel). Everything created in Zabbix is deleted in afterAll.
 */
interface ZabbixHost {
  hostid: string;
  host: string;
  name: string;
  description: string;
  status: string;
  groups: { groupid: string; name: string }[];
  interfaces: { ip: string; dns: string; useip: string; main: string; type: string }[];
}

describeZabbix('Sync through the HTTP API against a real Zabbix (contract)', (env: ZabbixEnv) => {
  const run = runId();
  const groupName = `Nagare contract ${run}`;
  let zabbix: ZabbixApi;
  let t: TestApp;
  let token: string;
  let groupId: string;
  let monitorId: number;
  const cleanup = { userIds: [] as string[], userGroupIds: [] as string[] };

  /** The hosts arranged in Zabbix before the first pull, with what each must come back as. */
  interface ArrangedHost {
    hostid: string;
    name: string;
    ip: string;
    items: { itemid: string; key: string; value_type: number; units: string }[];
  }
  const arranged: ArrangedHost[] = [];

  const http = {
    get: (path: string) => request(t.http).get(`/api/v1${path}`).set('Authorization', `Bearer ${token}`),
    post: (path: string, body?: object) =>
      request(t.http).post(`/api/v1${path}`).set('Authorization', `Bearer ${token}`).send(body),
    patch: (path: string, body: object) =>
      request(t.http).patch(`/api/v1${path}`).set('Authorization', `Bearer ${token}`).send(body),
  };

  const secret = () => `Ng-${randomBytes(9).toString('hex')}`;

  /** A Zabbix user of this run with its own user group; `rights` on this run's host group (3 read-write). */
  async function zabbixUser(role: 'Admin' | 'User', rights: 0 | 3): Promise<{ username: string; password: string }> {
    const [major, minor] = zabbix.version.split('.').map(Number);
    // 6.2 renamed the user group's host group permissions from `rights` to `hostgroup_rights`.
    const rightsParam = major > 6 || (major === 6 && minor >= 2) ? 'hostgroup_rights' : 'rights';
    const { usrgrpids } = await zabbix.call<{ usrgrpids: string[] }>('usergroup.create', {
      name: `Nagare contract ${run} ${role} ${cleanup.userGroupIds.length + 1}`,
      ...(rights ? { [rightsParam]: [{ id: groupId, permission: rights }] } : {}),
    });
    cleanup.userGroupIds.push(usrgrpids[0]);
    const [{ roleid }] = await zabbix.call<{ roleid: string }[]>('role.get', {
      output: ['roleid'],
      filter: { type: role === 'Admin' ? 2 : 1 },
      sortfield: 'roleid',
      limit: 1,
    });
    const user = { username: `nagare-contract-${run}-${cleanup.userIds.length + 1}`, password: secret() };
    const { userids } = await zabbix.call<{ userids: string[] }>('user.create', {
      username: user.username,
      passwd: user.password,
      roleid,
      usrgrps: [{ usrgrpid: usrgrpids[0] }],
    });
    cleanup.userIds.push(userids[0]);
    return user;
  }

  async function createMonitor(username: string, password: string): Promise<number> {
    const res = await http.post('/monitors', {
      name: `${groupName} ${username} ${randomBytes(2).toString('hex')}`,
      url: env.url,
      type: 'zabbix',
      username,
      password,
    });
    if (res.status !== 201) throw new Error(`creating a monitor failed: ${res.status} ${res.text}`);
    return res.body.id;
  }

  /** The hosts of this run's group as Zabbix has them now (groups as `hostgroups` from 6.2, `groups` before). */
  const zabbixHosts = async (hostids?: string[]): Promise<ZabbixHost[]> => {
    type Answer = Omit<ZabbixHost, 'groups'> & Partial<Record<'groups' | 'hostgroups', ZabbixHost['groups']>>;
    const hosts = await zabbix.call<Answer[]>('host.get', {
      groupids: [groupId],
      ...(hostids ? { hostids } : {}),
      output: ['hostid', 'host', 'name', 'description', 'status'],
      selectInterfaces: ['ip', 'dns', 'useip', 'main', 'type'],
      [zabbix.hostGroupsParam]: ['groupid', 'name'],
    });
    return hosts.map(({ groups, hostgroups, ...host }) => ({ ...host, groups: hostgroups ?? groups ?? [] }));
  };

  const zabbixItem = async (itemid: string) => {
    const [item] = await zabbix.call<Record<string, string>[]>('item.get', {
      itemids: [itemid],
      output: ['itemid', 'hostid', 'name', 'key_', 'type', 'value_type', 'units', 'description'],
    });
    return item;
  };

  /** The first pull of the monitor, made once by whichever test needs it first. */
  let firstPull: Promise<request.Response> | undefined;
  // `.then` makes it a plain promise: awaiting a supertest request again would send it again.
  const pulledOnce = () => (firstPull ??= http.post(`/monitors/${monitorId}/hosts/pull`).then((res) => res));

  /** The local host a pull made of an arranged host. */
  async function localHostOf(hostid: string): Promise<Record<string, unknown> & { id: number }> {
    const res = await http.get(`/hosts?monitor_id=${monitorId}&limit=100`);
    const host = res.body.items.find((h: { external_id: string }) => h.external_id === hostid);
    if (!host) throw new Error(`no local host with external id ${hostid}: ${res.text}`);
    return host;
  }

  async function localGroupId(): Promise<number> {
    const res = await http.get('/groups');
    const group = res.body.find((g: { name: string; monitor_id: number }) => g.name === groupName);
    if (!group) throw new Error(`no local group ${groupName}: ${res.text}`);
    return group.id;
  }

  let localCount = 0;
  /** A host created locally (in this run's pulled group) and pushed; returns its local and Zabbix ids. */
  async function pushLocalHost(): Promise<{ id: number; hostid: string; name: string }> {
    await pulledOnce();
    const name = `${groupName} local ${++localCount}`;
    const created = await http.post('/hosts', {
      name,
      monitor_id: monitorId,
      group_id: await localGroupId(),
      ip_addr: `127.0.2.${50 + localCount}`,
      description: `pushed through the API, run ${run}`,
    });
    expect(created.status).toBe(201);
    const pushed = await http.post(`/monitors/${monitorId}/hosts/${created.body.id}/push`);
    expect(pushed.status).toBe(200);
    expect(pushed.body).toEqual({ added: 1, updated: 0, unchanged: 0, vanished: 0, failed: 0, total: 1 });
    const host = await http.get(`/hosts/${created.body.id}`);
    return { id: created.body.id, hostid: host.body.external_id, name };
  }

  beforeAll(async () => {
    zabbix = await ZabbixApi.login(env);
    t = await startTestApp();
    token = await t.login();

    ({
      groupids: [groupId],
    } = await zabbix.call<{ groupids: string[] }>('hostgroup.create', { name: groupName }));
    const monitorUser = await zabbixUser('Admin', 3);
    monitorId = await createMonitor(monitorUser.username, monitorUser.password);

    const agent = (ip: string) => ({ type: 1, main: 1, useip: 1, ip, dns: '', port: '10050' });
    const specs = [
      { interfaces: [agent('127.0.2.11')], ip: '127.0.2.11' },
      { interfaces: [agent('127.0.2.12')], ip: '127.0.2.12' },
      // A main JMX interface too: the host's address is its agent interface's.
      {
        interfaces: [{ type: 4, main: 1, useip: 1, ip: '127.51.100.13', dns: '', port: '12345' }, agent('127.0.2.13')],
        ip: '127.0.2.13',
      },
    ];
    for (const [index, spec] of specs.entries()) {
      const n = index + 1;
      const name = `${groupName} host ${n}`;
      const { hostids } = await zabbix.call<{ hostids: string[] }>('host.create', {
        host: `nagare-contract-${run}-host-${n}`,
        name,
        groups: [{ groupid: groupId }],
        interfaces: spec.interfaces,
      });
      // Trapper items (type 2): values are sent to the server, so they need no interface.
      const items = [
        { key: `nagare.requests[${run},${n}]`, value_type: 0, units: 'rps' },
        { key: `nagare.status[${run},${n}]`, value_type: 4, units: '' },
      ];
      const { itemids } = await zabbix.call<{ itemids: string[] }>(
        'item.create',
        items.map(({ key, value_type, units }) => ({
          hostid: hostids[0],
          name: `Nagare ${key}`,
          key_: key,
          type: 2,
          value_type,
          units,
        })),
      );
      arranged.push({
        hostid: hostids[0],
        name,
        ip: spec.ip,
        items: items.map((item, i) => ({ itemid: itemids[i], ...item })),
      });
    }
  });

  afterAll(async () => {
    if (!zabbix) return;
    const problems: string[] = [];
    const attempt = (what: string, work: () => Promise<unknown>) =>
      work().catch((error: Error) => problems.push(`${what}: ${error.message}`));
    if (groupId) {
      // Every host in the group: arranged here or pushed by the service.
      const hosts = await zabbix.call<{ hostid: string }[]>('host.get', { groupids: [groupId], output: ['hostid'] });
      if (hosts.length)
        await attempt('host.delete', () =>
          zabbix.call(
            'host.delete',
            hosts.map((h) => h.hostid),
          ),
        );
    }
    // Users first: a user group may not be deleted while it is the only group of a user.
    if (cleanup.userIds.length) await attempt('user.delete', () => zabbix.call('user.delete', cleanup.userIds));
    if (cleanup.userGroupIds.length)
      await attempt('usergroup.delete', () => zabbix.call('usergroup.delete', cleanup.userGroupIds));
    if (groupId) await attempt('hostgroup.delete', () => zabbix.call('hostgroup.delete', [groupId]));
    await zabbix.close();
    await t?.close();
    if (problems.length) throw new Error(`Cleanup left things behind in Zabbix: ${problems.join('; ')}`);
  });

  it('pulls the hosts created in Zabbix with the IPs of their interfaces, their group and their items', async () => {
    const res = await pulledOnce();
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      added: 3,
      updated: 0,
      unchanged: 0,
      vanished: 0,
      failed: 0,
      total: 3,
      items: { added: 6, updated: 0, unchanged: 0, vanished: 0, failed: 0, total: 6, unsupported: 0 },
    });

    const groups = await http.get('/groups');
    expect(groups.body.filter((g: { monitor_id: number }) => g.monitor_id === monitorId)).toEqual([
      { id: expect.any(Number), name: groupName, monitor_id: monitorId, external_id: groupId },
    ]);
    const localGroup = await localGroupId();

    const hosts = await http.get(`/hosts?monitor_id=${monitorId}`);
    expect(hosts.body.total).toBe(3);
    for (const host of arranged) {
      const local = await localHostOf(host.hostid);
      expect(local).toMatchObject({
        name: host.name,
        ip_addr: host.ip,
        group_id: localGroup,
        enabled: true,
        status: SyncStatus.Active,
        last_sync_at: expect.any(String),
      });
      const items = await http.get(`/hosts/${local.id}/items`);
      expect(items.body.total).toBe(2);
      expect(items.body.items).toEqual(
        expect.arrayContaining(
          host.items.map((item) =>
            expect.objectContaining({
              external_id: item.itemid,
              key: item.key,
              value_type: item.value_type,
              units: item.units,
              last_value: null,
              status: SyncStatus.Active,
            }),
          ),
        ),
      );
    }

    const monitor = await http.get(`/monitors/${monitorId}`);
    expect(monitor.body).toMatchObject({
      status: SyncStatus.Active,
      status_description: 'Synced 3 hosts and 6 items',
      last_sync_at: expect.any(String),
    });
  });

  it('adds and rewrites nothing on a second pull of the same inventory: every row unchanged', async () => {
    expect((await pulledOnce()).status).toBe(200);
    const before = await http.get(`/hosts?monitor_id=${monitorId}&limit=100`);
    const expected = before.body.total;

    const res = await http.post(`/monitors/${monitorId}/hosts/pull`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ added: 0, updated: 0, unchanged: expected, vanished: 0, total: expected });
    expect(res.body.items).toMatchObject({ added: 0, updated: 0, vanished: 0, failed: 0 });
    expect(res.body.items.unchanged).toBe(res.body.items.total);
    const after = await http.get(`/hosts?monitor_id=${monitorId}&limit=100`);
    expect(after.body.items.map((h: { id: number }) => h.id)).toEqual(
      before.body.items.map((h: { id: number }) => h.id),
    );
  });

  it('pushes a host created locally, which Zabbix then has with its name, IP, description and group', async () => {
    const { id, hostid, name } = await pushLocalHost();
    expect(hostid).toMatch(/^\d+$/);
    const local = await http.get(`/hosts/${id}`);
    expect(local.body).toMatchObject({
      status: SyncStatus.Active,
      monitor_id: monitorId,
      last_sync_at: expect.any(String),
    });

    const [host] = await zabbixHosts([hostid]);
    expect(host).toMatchObject({
      name,
      description: `pushed through the API, run ${run}`,
      status: '0',
      groups: [{ groupid: groupId, name: groupName }],
      interfaces: [{ ip: local.body.ip_addr, useip: '1', main: '1', type: '1' }],
    });
  });

  it('pushes a local item, which Zabbix then has on the pushed host with its key, value type and units', async () => {
    const { id: hostId, hostid } = await pushLocalHost();
    const key = `nagare.latency[${run}]`;
    const item = await http.post(`/hosts/${hostId}/items`, { name: 'Nagare latency', key, value_type: 3, units: 'ms' });
    expect(item.status).toBe(201);

    const pushed = await http.post(`/monitors/${monitorId}/hosts/${hostId}/items/${item.body.id}/push`);
    expect(pushed.status).toBe(200);
    expect(pushed.body).toEqual({ added: 1, updated: 0, unchanged: 0, vanished: 0, failed: 0, total: 1 });
    const local = await http.get(`/items/${item.body.id}`);
    expect(local.body).toMatchObject({ external_id: expect.stringMatching(/^\d+$/), status: SyncStatus.Active });

    expect(await zabbixItem(local.body.external_id)).toMatchObject({
      hostid,
      name: 'Nagare latency',
      key_: key,
      type: '2',
      value_type: '3',
      units: 'ms',
    });
  });

  it('updates on a second push instead of adding, and a changed local name, IP and units reach Zabbix', async () => {
    const { id, hostid } = await pushLocalHost();
    const item = await http.post(`/hosts/${id}/items`, { name: 'Nagare queue', key: `nagare.queue[${run}]` });
    expect((await http.post(`/monitors/${monitorId}/hosts/${id}/items/${item.body.id}/push`)).status).toBe(200);
    const itemid = (await http.get(`/items/${item.body.id}`)).body.external_id;

    const again = await http.post(`/monitors/${monitorId}/hosts/${id}/push`);
    expect(again.body).toEqual({ added: 0, updated: 1, unchanged: 0, vanished: 0, failed: 0, total: 1 });

    const renamed = `${groupName} renamed locally`;
    expect((await http.patch(`/hosts/${id}`, { name: renamed, ip_addr: '127.0.2.99' })).status).toBe(200);
    const changed = await http.post(`/monitors/${monitorId}/hosts/${id}/push`);
    expect(changed.body).toEqual({ added: 0, updated: 1, unchanged: 0, vanished: 0, failed: 0, total: 1 });
    expect((await http.patch(`/items/${item.body.id}`, { units: 'msg' })).status).toBe(200);
    const itemAgain = await http.post(`/monitors/${monitorId}/hosts/${id}/items/${item.body.id}/push`);
    expect(itemAgain.body).toEqual({ added: 0, updated: 1, unchanged: 0, vanished: 0, failed: 0, total: 1 });

    const [host] = await zabbixHosts([hostid]);
    expect(host).toMatchObject({ name: renamed, interfaces: [expect.objectContaining({ ip: '127.0.2.99' })] });
    expect(await zabbixItem(itemid)).toMatchObject({ hostid, units: 'msg', key_: `nagare.queue[${run}]` });
    // Still one host and one item: nothing was created twice.
    expect((await zabbixHosts()).filter((h) => h.name === renamed)).toHaveLength(1);
    expect(await zabbix.call('item.get', { hostids: [hostid], countOutput: true })).toBe('1');
    expect((await http.get(`/hosts/${id}`)).body.external_id).toBe(hostid);
  });

  it('pulls back a change made in Zabbix to a host (visible name, IP)', async () => {
    await pulledOnce();
    const target = arranged[1];
    const local = await localHostOf(target.hostid);
    await zabbix.call('host.update', { hostid: target.hostid, name: `${groupName} renamed in Zabbix` });
    const [iface] = await zabbix.call<{ interfaceid: string }[]>('hostinterface.get', {
      hostids: [target.hostid],
      output: ['interfaceid'],
    });
    await zabbix.call('hostinterface.update', { interfaceid: iface.interfaceid, ip: '127.0.2.112' });

    const res = await http.post(`/monitors/${monitorId}/hosts/${local.id}/pull`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ added: 0, updated: 1, unchanged: 0, vanished: 0, failed: 0, total: 1 });
    expect((await http.get(`/hosts/${local.id}`)).body).toMatchObject({
      name: `${groupName} renamed in Zabbix`,
      ip_addr: '127.0.2.112',
      external_id: target.hostid,
      status: SyncStatus.Active,
    });
  });

  it('pulls back a change made in Zabbix to an item (name, units)', async () => {
    await pulledOnce();
    const target = arranged[0];
    const local = await localHostOf(target.hostid);
    const items = await http.get(`/hosts/${local.id}/items`);
    const item = items.body.items.find((i: { external_id: string }) => i.external_id === target.items[0].itemid);
    await zabbix.call('item.update', { itemid: target.items[0].itemid, name: 'Renamed in Zabbix', units: 'Bps' });

    const res = await http.post(`/monitors/${monitorId}/hosts/${local.id}/items/${item.id}/pull`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ added: 0, updated: 1, unchanged: 0, vanished: 0, failed: 0, total: 1, unsupported: 0 });
    expect((await http.get(`/items/${item.id}`)).body).toMatchObject({
      name: 'Renamed in Zabbix',
      units: 'Bps',
      key: target.items[0].key,
    });
  });

  it('keeps a host deleted in Zabbix, in status 2 "host not found on monitor", after the next pull', async () => {
    await pulledOnce();
    const target = arranged[2];
    const local = await localHostOf(target.hostid);
    await zabbix.call('host.delete', [target.hostid]);
    const remaining = (await zabbixHosts()).length;

    const res = await http.post(`/monitors/${monitorId}/hosts/pull`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ added: 0, vanished: 1, failed: 0, total: remaining });
    expect(res.body.items).toMatchObject({ vanished: target.items.length });

    const kept = await http.get(`/hosts/${local.id}`);
    expect(kept.status).toBe(200);
    expect(kept.body).toMatchObject({
      name: target.name,
      external_id: target.hostid,
      status: SyncStatus.Error,
      status_description: 'host not found on monitor',
    });
    // Its items went with it in Zabbix: kept too, likewise in status 2.
    // Zabbix returns a host's items in no promised order, and the list is in the order they were stored.
    const items = await http.get(`/hosts/${local.id}/items`);
    const byItemId = (a: { external_id: string }, b: { external_id: string }) =>
      Number(a.external_id) - Number(b.external_id);
    expect([...items.body.items].sort(byItemId)).toEqual(
      [...target.items]
        .sort((a, b) => Number(a.itemid) - Number(b.itemid))
        .map((item) =>
          expect.objectContaining({
            external_id: item.itemid,
            status: SyncStatus.Error,
            status_description: 'item not found on monitor',
          }),
        ),
    );
    expect((await http.get(`/monitors/${monitorId}`)).body.status).toBe(SyncStatus.Active);

    // Pulling that one host finds it gone still: counted vanished by the pull it disappeared in, not again.
    const alone = await http.post(`/monitors/${monitorId}/hosts/${local.id}/pull`);
    expect(alone.body).toEqual({ added: 0, updated: 0, unchanged: 0, vanished: 0, failed: 0, total: 0 });
    expect((await http.get(`/hosts/${local.id}`)).body).toMatchObject({
      status: SyncStatus.Error,
      status_description: 'host not found on monitor',
    });
  });

  it('answers 502 with the reason to a pull with a wrong monitor password, the monitor auth_failed, the password nowhere', async () => {
    // A user of its own: wrong passwords count toward the 30 s lockout of the account they are tried on.
    const user = await zabbixUser('User', 0);
    const wrong = `${user.password}-wrong`;
    const id = await createMonitor(user.username, wrong);
    const reason =
      'Monitor rejected the credentials: Incorrect user name or password or account is temporarily blocked.';

    const res = await http.post(`/monitors/${id}/hosts/pull`);
    expect(res.status).toBe(502);
    expect(res.body).toEqual({ statusCode: 502, message: reason, error: 'Bad Gateway' });
    const monitor = await http.get(`/monitors/${id}`);
    expect(monitor.body).toMatchObject({ status: SyncStatus.AuthFailed, status_description: reason });

    expect((await http.patch(`/monitors/${id}`, { password: user.password })).status).toBe(200);
    const check = await http.post(`/monitors/${id}/check`);
    expect(check.status).toBe(200);
    expect(check.body).toMatchObject({
      status: SyncStatus.Active,
      status_description: `Connected to zabbix ${zabbix.version}`,
    });

    for (const response of [res, monitor, check]) {
      expect(response.text).not.toContain(user.password);
      // No password field either: the reason may say "password", a key may not.
      expect(response.text).not.toMatch(/"[^"]*(password|token)[^"]*"\s*:/i);
    }
    // The wrong password starts with the right one: neither is logged.
    expect(t.systemLog()).not.toContain(user.password);
  });

  it('logs in again when Zabbix ended the monitor session, and the next pull succeeds', async () => {
    expect((await pulledOnce()).status).toBe(200);
    const storedToken = async () => {
      const monitor = await t.app.get(DataSource).getRepository(Monitor).findOneByOrFail({ id: monitorId });
      return t.app.get(CredentialsCipher).decrypt(monitor.authTokenEncrypted as string);
    };
    // The very session the service holds, ended server-side as an expiry would.
    const ended = await storedToken();
    expect(ended).toMatch(/^[0-9a-f]{32}$/);
    await zabbix.logout(ended);
    await expect(zabbix.call('host.get', { output: ['hostid'], limit: 1 }, ended)).rejects.toThrow(ZabbixApiError);

    const res = await http.post(`/monitors/${monitorId}/hosts/pull`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ added: 0, failed: 0 });
    expect((await http.get(`/monitors/${monitorId}`)).body.status).toBe(SyncStatus.Active);

    const fresh = await storedToken();
    expect(fresh).toMatch(/^[0-9a-f]{32}$/);
    expect(fresh).not.toBe(ended);
    const seen = await zabbix.call<unknown[]>('host.get', { groupids: [groupId], output: ['hostid'] }, fresh);
    expect(seen.length).toBeGreaterThan(0);
  });
});
