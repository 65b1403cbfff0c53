import request from 'supertest';
import { startTestApp, type TestApp } from '../support/test-app';
import { describeZabbix, eventually, runId, ZabbixApi, type ZabbixEnv } from '../support/zabbix';

/*
 * Issue 22 items 5, 6 and 9 against a real Zabbix (6.0 and 7.0 in CI): every group of a host, Zabbix's technical
 * name (kept, searchable, given, and refused with 409 when another host has it), item names with their user macros
 * expanded where the server offers `name_resolved` (7.0), and errors naming the URL tried for a wrong monitor path.
 * Hosts are arranged in Zabbix without interfaces, in two groups made for the run; a pull of every host brings them
 * in. Everything created in Zabbix is deleted in afterAll.
 */
interface ZabbixGroup {
  groupid: string;
  name: string;
}

describeZabbix('Host groups, technical names and resolved names against a real Zabbix (contract)', (env: ZabbixEnv) => {
  const run = runId();
  const prefix = `nagare-names-${run}`;
  const macroValue = 'frontend';
  let zabbix: ZabbixApi;
  let t: TestApp;
  let token: string;
  let monitorId: number;
  const groups = { a: { groupid: '', name: `${prefix} A` }, b: { groupid: '', name: `${prefix} B` } };
  /** Local ids of the two groups, known after the pull. */
  const local = { a: 0, b: 0 };
  const arranged = { multi: '', technical: '' };
  const createdHostIds = new Set<string>();

  const http = {
    get: (path: string) => request(t.http).get(`/api/v1${path}`).set('Authorization', `Bearer ${token}`),
    post: (path: string, body?: object) =>
      request(t.http).post(`/api/v1${path}`).set('Authorization', `Bearer ${token}`).send(body),
    patch: (path: string, body: object) =>
      request(t.http).patch(`/api/v1${path}`).set('Authorization', `Bearer ${token}`).send(body),
  };

  async function createZabbixHost(params: Record<string, unknown>): Promise<string> {
    const { hostids } = await zabbix.call<{ hostids: string[] }>('host.create', params);
    createdHostIds.add(hostids[0]);
    return hostids[0];
  }

  /** The host's groups and technical name as Zabbix has them now. */
  async function zabbixHost(hostid: string): Promise<{ host: string; name: string; groups: string[] }> {
    type Answer = { host: string; name: string } & Partial<Record<'groups' | 'hostgroups', ZabbixGroup[]>>;
    const [host] = await zabbix.call<Answer[]>('host.get', {
      hostids: [hostid],
      output: ['host', 'name'],
      [zabbix.hostGroupsParam]: ['groupid', 'name'],
    });
    const hostGroups = host.hostgroups ?? host.groups ?? [];
    return { host: host.host, name: host.name, groups: hostGroups.map((group) => group.name).sort() };
  }

  async function localHostOf(hostid: string): Promise<{ id: number; [field: string]: unknown }> {
    const res = await http.get(`/hosts?monitor_id=${monitorId}&q=${encodeURIComponent(prefix)}&limit=100`);
    const host = res.body.items.find((h: { external_id: string }) => h.external_id === hostid);
    if (!host) throw new Error(`no local host with external id ${hostid}: ${res.text}`);
    return host;
  }

  async function pushed(hostId: number): Promise<string> {
    const res = await http.post(`/monitors/${monitorId}/hosts/${hostId}/push`);
    if (res.status !== 200) throw new Error(`push of host ${hostId} failed: ${res.status} ${res.text}`);
    const externalId = (await http.get(`/hosts/${hostId}`)).body.external_id as string;
    createdHostIds.add(externalId);
    return externalId;
  }

  beforeAll(async () => {
    zabbix = await ZabbixApi.login(env);
    t = await startTestApp();
    token = await t.login();
    for (const group of [groups.a, groups.b]) {
      const { groupids } = await zabbix.call<{ groupids: string[] }>('hostgroup.create', { name: group.name });
      group.groupid = groupids[0];
    }
    arranged.multi = await createZabbixHost({
      host: `${prefix}-multi`,
      groups: [{ groupid: groups.a.groupid }, { groupid: groups.b.groupid }],
      macros: [{ macro: '{$NAGARE_ROLE}', value: macroValue }],
    });
    await zabbix.call('item.create', {
      hostid: arranged.multi,
      name: 'Requests of {$NAGARE_ROLE}',
      key_: `nagare.names[${run}]`,
      type: 2,
      value_type: 3,
    });
    arranged.technical = await createZabbixHost({
      host: `${prefix}-agent`,
      name: `Visible ${run}`,
      groups: [{ groupid: groups.a.groupid }],
    });
    const monitor = await http.post('/monitors', {
      name: `Nagare names ${run}`,
      url: env.url,
      type: 'zabbix',
      username: env.user,
      password: env.password,
    });
    monitorId = monitor.body.id;
    const pull = await http.post(`/monitors/${monitorId}/hosts/pull`);
    if (pull.status !== 200) throw new Error(`the first pull failed: ${pull.status} ${pull.text}`);
    const localGroups = (await http.get('/groups')).body as { id: number; external_id: string; monitor_id: number }[];
    const localOf = (groupid: string) =>
      localGroups.find((group) => group.monitor_id === monitorId && group.external_id === groupid)?.id as number;
    local.a = localOf(groups.a.groupid);
    local.b = localOf(groups.b.groupid);
  }, 120_000);

  afterAll(async () => {
    if (!zabbix) return;
    const groupids = [groups.a.groupid, groups.b.groupid].filter(Boolean);
    if (groupids.length > 0) {
      const inGroups = await zabbix.call<{ hostid: string }[]>('host.get', { groupids, output: ['hostid'] });
      for (const host of inGroups) createdHostIds.add(host.hostid);
    }
    if (createdHostIds.size > 0) await zabbix.call('host.delete', [...createdHostIds]);
    if (groupids.length > 0) await zabbix.call('hostgroup.delete', groupids);
    await zabbix.close();
    await t?.close();
  });

  describe('every group of a host (22.5)', () => {
    it('finds a host in groups A and B by ?group_id=A and by ?group_id=B after a pull, group_id its first', async () => {
      expect(local.a).toBeGreaterThan(0);
      expect(local.b).toBeGreaterThan(0);
      const host = await localHostOf(arranged.multi);
      expect([...(host.group_ids as number[])].sort((x, y) => x - y)).toEqual([local.a, local.b].sort((x, y) => x - y));
      expect(host.group_id).toBe((host.group_ids as number[])[0]);
      for (const groupId of [local.a, local.b]) {
        const found = await http.get(`/hosts?group_id=${groupId}&limit=100`);
        expect(found.body.items.map((h: { id: number }) => h.id)).toContain(host.id);
      }
    });

    it('follows a host leaving a group in Zabbix, counted as updated', async () => {
      const host = await localHostOf(arranged.multi);
      await zabbix.call('host.update', { hostid: arranged.multi, groups: [{ groupid: groups.a.groupid }] });
      const pull = await http.post(`/monitors/${monitorId}/hosts/${host.id}/pull`);
      expect(pull.body).toEqual({ added: 0, updated: 1, unchanged: 0, vanished: 0, failed: 0, total: 1 });
      expect((await http.get(`/hosts/${host.id}`)).body).toMatchObject({ group_id: local.a, group_ids: [local.a] });
      const inB = await http.get(`/hosts?group_id=${local.b}&limit=100`);
      expect(inB.body.items.map((h: { id: number }) => h.id)).not.toContain(host.id);
    });

    it('pushes every group of a host, and a change of groups', async () => {
      const created = await http.post('/hosts', {
        name: `${prefix} grouped`,
        monitor_id: monitorId,
        group_ids: [local.b, local.a],
        ip_addr: '127.0.3.5',
      });
      expect(created.status).toBe(201);
      const hostid = await pushed(created.body.id);
      expect((await zabbixHost(hostid)).groups).toEqual([groups.a.name, groups.b.name]);

      expect((await http.patch(`/hosts/${created.body.id}`, { group_ids: [local.b] })).status).toBe(200);
      await pushed(created.body.id);
      expect((await zabbixHost(hostid)).groups).toEqual([groups.b.name]);
    });
  });

  describe('the technical name (22.6)', () => {
    it("stores Zabbix's host as technical_name, found by q", async () => {
      const host = await localHostOf(arranged.technical);
      expect(host).toMatchObject({ name: `Visible ${run}`, technical_name: `${prefix}-agent` });
      const found = await http.get(`/hosts?q=${encodeURIComponent(`${prefix}-AGENT`)}`);
      expect(found.body.items.map((h: { id: number }) => h.id)).toEqual([host.id]);
    });

    it('pushes the technical_name a host was created with, and keeps it when the host is renamed', async () => {
      const created = await http.post('/hosts', {
        name: `Given ${run}`,
        technical_name: `${prefix}.given`,
        monitor_id: monitorId,
        group_ids: [local.a],
      });
      const hostid = await pushed(created.body.id);
      expect(await zabbixHost(hostid)).toMatchObject({ host: `${prefix}.given`, name: `Given ${run}` });
      await http.patch(`/hosts/${created.body.id}`, { name: `Given ${run} renamed` });
      await pushed(created.body.id);
      expect(await zabbixHost(hostid)).toMatchObject({ host: `${prefix}.given`, name: `Given ${run} renamed` });
    });

    it('refuses with 409 the push of a_b after a/b took the technical name, naming both hosts', async () => {
      const monitorBefore = (await http.get(`/monitors/${monitorId}`)).body;
      const slash = await http.post('/hosts', { name: `${prefix} a/b`, monitor_id: monitorId, group_ids: [local.a] });
      const underscore = await http.post('/hosts', {
        name: `${prefix} a_b`,
        monitor_id: monitorId,
        group_ids: [local.a],
      });
      const hostid = await pushed(slash.body.id);
      expect((await zabbixHost(hostid)).host).toBe(`${prefix} a_b`);
      expect((await http.get(`/hosts/${slash.body.id}`)).body.technical_name).toBe(`${prefix} a_b`);

      const refused = await http.post(`/monitors/${monitorId}/hosts/${underscore.body.id}/push`);
      expect(refused.status).toBe(409);
      expect(refused.body.message).toBe(
        `Host ${underscore.body.id} "${prefix} a_b" cannot be pushed to monitor ${monitorId}: its technical name ` +
          `"${prefix} a_b" is already taken by host ${slash.body.id} "${prefix} a/b". Give it another technical_name.`,
      );
      const sameName = await zabbix.call<unknown[]>('host.get', { filter: { host: [`${prefix} a_b`] } });
      expect(sameName).toHaveLength(1);
      expect((await http.get(`/hosts/${underscore.body.id}`)).body).toMatchObject({ external_id: null });
      const monitorAfter = (await http.get(`/monitors/${monitorId}`)).body;
      expect(monitorAfter).toMatchObject({
        status: monitorBefore.status,
        status_description: monitorBefore.status_description,
      });
    });

    it("maps Zabbix's own refusal of a technical name to 409 naming the host that has it there", async () => {
      const onlyThere = await createZabbixHost({
        host: `${prefix}-only-there`,
        name: `Only in Zabbix ${run}`,
        groups: [{ groupid: groups.a.groupid }],
      });
      const created = await http.post('/hosts', {
        name: `Newcomer ${run}`,
        technical_name: `${prefix}-only-there`,
        monitor_id: monitorId,
        group_ids: [local.a],
      });
      const refused = await http.post(`/monitors/${monitorId}/hosts/${created.body.id}/push`);
      expect(refused.status).toBe(409);
      expect(refused.body.message).toBe(
        `Host ${created.body.id} "Newcomer ${run}" cannot be pushed to monitor ${monitorId}: its technical name ` +
          `"${prefix}-only-there" is already taken by the monitor's host "Only in Zabbix ${run}" (id ${onlyThere} ` +
          'there). Give it another technical_name.',
      );
      expect((await http.get(`/monitors/${monitorId}`)).body.status).not.toBe(2);
    });
  });

  describe('names as operators see them (22.9)', () => {
    it('expands a user macro in an item name where the server resolves it (7.0), and pushes the name back intact', async () => {
      const host = await localHostOf(arranged.multi);
      const resolves = !zabbix.version.startsWith('6.');
      const shown = resolves ? `Requests of ${macroValue}` : 'Requests of {$NAGARE_ROLE}';
      // zabbix_server resolves names (7.0's name_resolved) at its next configuration sync.
      const item = await eventually(
        `the item to be named "${shown}"`,
        async () => {
          await http.post(`/monitors/${monitorId}/hosts/${host.id}/items/pull`);
          const items = await http.get(`/hosts/${host.id}/items`);
          return items.body.items.find((i: { name: string }) => i.name === shown);
        },
        60_000,
      );
      const push = await http.post(`/monitors/${monitorId}/hosts/${host.id}/items/${item.id}/push`);
      expect(push.status).toBe(200);
      const [remote] = await zabbix.call<{ name: string }[]>('item.get', {
        itemids: [item.external_id],
        output: ['name'],
      });
      expect(remote.name).toBe('Requests of {$NAGARE_ROLE}');
    }, 90_000);

    it.each([
      ['a path where Zabbix is not', '/nagare-wrong-path'],
      ['a frontend page instead of the API', '/index.php'],
    ])('names the URL it tried when the monitor URL has %s', async (_what, path) => {
      const url = `${env.url.replace(/\/+$/, '')}${path}`;
      const monitor = await http.post('/monitors', {
        name: `Nagare wrong path ${run} ${path}`,
        url,
        type: 'zabbix',
        username: env.user,
        password: env.password,
      });
      const tried = `${url}/api_jsonrpc.php`;
      const checked = await http.post(`/monitors/${monitor.body.id}/check`);
      expect(checked.body.status).toBe(2);
      expect(checked.body.status_description).toMatch(/^Monitor unreachable: (HTTP 404 Not Found from|the reply to)/);
      expect(checked.body.status_description).toContain(` at ${tried}`);
      expect(checked.body.status_description).not.toContain(env.password);
      const pull = await http.post(`/monitors/${monitor.body.id}/hosts/pull`);
      expect(pull.status).toBe(502);
      expect(pull.body.message).toContain(` at ${tried}`);
    });
  });
});
