import { randomBytes } from 'node:crypto';
import type { HostDraft, ItemDraft, MonitorTarget } from '../../src/monitors/providers/monitor-provider';
import { MonitorAuthenticationError } from '../../src/monitors/providers/provider-errors';
import { ZabbixProvider } from '../../src/monitors/providers/zabbix/zabbix.provider';
import { describeZabbix, runId, ZabbixApi, ZabbixApiError } from '../support/zabbix';

/*
 * The Zabbix provider against a real Zabbix (in CI: 6.0 from scripts/zabbix-local.sh, then 7.0 from
 * scripts/zabbix7-local.sh). Everything it creates carries this run's id and is deleted afterwards; the built-in
 * "Zabbix server" host is only read. Test hosts get loopback addresses only: a zabbix_server runs beside them.
 */
describeZabbix('ZabbixProvider against a real Zabbix (contract)', (env) => {
  const run = runId();
  const groupName = `Nagare test ${run}`;
  let api: ZabbixApi;
  let provider: ZabbixProvider;
  let target: MonitorTarget;
  /** Every token the providers of this suite were handed, by monitor id. */
  const tokens: { monitorId: number; token: string | null }[] = [];
  const cleanup = { hostIds: new Set<string>(), userIds: [] as string[], userGroupIds: [] as string[] };
  let hostCount = 0;

  const newProvider = (options: ConstructorParameters<typeof ZabbixProvider>[0] = {}) =>
    new ZabbixProvider(options, { keep: async (monitorId, token) => void tokens.push({ monitorId, token }) });

  const hostDraft = (overrides: Partial<HostDraft> = {}): HostDraft => ({
    name: `Nagare ${run} host ${++hostCount}`,
    description: `pushed by the contract suite, run ${run}`,
    ipAddr: '127.0.2.10',
    enabled: true,
    technicalName: null,
    groupNames: [groupName],
    ...overrides,
  });

  const itemDraft = (overrides: Partial<ItemDraft> = {}): ItemDraft => ({
    name: 'Nagare requests',
    key: `nagare.requests[${run}]`,
    valueType: 0,
    units: 'rps',
    description: 'pushed by the contract suite',
    enabled: true,
    ...overrides,
  });

  async function pushHost(overrides: Partial<HostDraft> = {}): Promise<{ id: string; draft: HostDraft }> {
    const draft = hostDraft(overrides);
    const id = await provider.createHost(target, draft);
    cleanup.hostIds.add(id);
    return { id, draft };
  }

  const rawHost = async (hostid: string) => {
    const [host] = await api.call<Record<string, unknown>[]>('host.get', {
      hostids: [hostid],
      output: ['host', 'name', 'status'],
      selectInterfaces: ['ip', 'dns', 'useip', 'port', 'type', 'main'],
    });
    return host;
  };

  const groupsNamed = (name: string) =>
    api.call<{ groupid: string }[]>('hostgroup.get', { output: ['groupid'], filter: { name: [name] } });

  beforeAll(async () => {
    api = await ZabbixApi.login(env);
    provider = newProvider();
    target = { monitorId: 1, url: env.url, username: env.user, password: env.password };
  });

  afterAll(async () => {
    if (!api) return;
    const problems: string[] = [];
    const attempt = (what: string, work: () => Promise<unknown>) =>
      work().catch((error: Error) => problems.push(`${what}: ${error.message}`));
    if (cleanup.hostIds.size) {
      const existing = await api.call<{ hostid: string }[]>('host.get', {
        hostids: [...cleanup.hostIds],
        output: ['hostid'],
      });
      if (existing.length)
        await attempt('host.delete', () =>
          api.call(
            'host.delete',
            existing.map((h) => h.hostid),
          ),
        );
    }
    const groups = await api.call<{ groupid: string }[]>('hostgroup.get', {
      output: ['groupid'],
      search: { name: `Nagare test ${run}` },
    });
    if (groups.length)
      await attempt('hostgroup.delete', () =>
        api.call(
          'hostgroup.delete',
          groups.map((g) => g.groupid),
        ),
      );
    if (cleanup.userIds.length) await attempt('user.delete', () => api.call('user.delete', cleanup.userIds));
    if (cleanup.userGroupIds.length) {
      await attempt('usergroup.delete', () => api.call('usergroup.delete', cleanup.userGroupIds));
    }
    for (const { token } of tokens) if (token) await api.logout(token).catch(() => undefined);
    await api.close();
    if (problems.length) throw new Error(`Cleanup left things behind in Zabbix: ${problems.join('; ')}`);
  });

  it('answers check with the version of the server, a 6.0.x or 7.0.x LTS', async () => {
    const { version } = await provider.check(target);
    expect(version).toMatch(/^(6|7)\.0\.\d+$/);
    expect(version).toBe(api.version);
  });

  it('lists the built-in "Zabbix server" host with its interface IP and group', async () => {
    const hosts = await provider.listHosts(target);
    const server = hosts.find((host) => host.host === 'Zabbix server');
    expect(server).toEqual({
      externalId: expect.stringMatching(/^\d+$/),
      host: 'Zabbix server',
      name: 'Zabbix server',
      description: expect.any(String),
      enabled: expect.any(Boolean),
      ipAddr: '127.0.0.1',
      groups: expect.arrayContaining([{ externalId: expect.stringMatching(/^\d+$/), name: 'Zabbix servers' }]),
    });
    // By id, the same host comes back alone.
    await expect(provider.listHosts(target, [server!.externalId])).resolves.toEqual([server]);
  });

  it('creates a host, and its group when the server has none, and lists it with the pushed fields', async () => {
    await expect(groupsNamed(groupName)).resolves.toEqual([]);
    const { id, draft } = await pushHost({ name: `Nagare ${run} web/01 (primary)` });

    const [group] = await groupsNamed(groupName);
    expect(group).toBeDefined();
    await expect(provider.listHosts(target, [id])).resolves.toEqual([
      {
        externalId: id,
        host: `Nagare ${run} web_01 _primary_`,
        name: draft.name,
        description: draft.description,
        enabled: true,
        ipAddr: '127.0.2.10',
        groups: [{ externalId: group.groupid, name: groupName }],
      },
    ]);
    expect(await rawHost(id)).toMatchObject({
      status: '0',
      interfaces: [{ ip: '127.0.2.10', useip: '1', port: '10050', type: '1', main: '1' }],
    });
    // A second host in the same group finds the group instead of creating another.
    await pushHost();
    await expect(groupsNamed(groupName)).resolves.toHaveLength(1);
  });

  it('creates a host without an address with no interface, and one with a DNS name connecting by name', async () => {
    const { id: noAddress } = await pushHost({ ipAddr: null });
    const { id: byName } = await pushHost({ ipAddr: 'nagare-contract.localhost' });
    const [first, second] = await Promise.all([rawHost(noAddress), rawHost(byName)]);
    expect(first.interfaces).toEqual([]);
    expect(second.interfaces).toEqual([
      expect.objectContaining({ ip: '', dns: 'nagare-contract.localhost', useip: '0' }),
    ]);
    const listed = await provider.listHosts(target, [noAddress, byName]);
    expect(Object.fromEntries(listed.map((host) => [host.externalId, host.ipAddr]))).toEqual({
      [noAddress]: null,
      [byName]: 'nagare-contract.localhost',
    });
  });

  it('updates a pushed host: name, description, IP, status and group change, the technical name stays', async () => {
    const { id } = await pushHost();
    const technical = (await rawHost(id)).host;
    const changed = hostDraft({
      name: `Nagare ${run} renamed`,
      description: 'changed by updateHost',
      ipAddr: '127.0.2.99',
      enabled: false,
      groupNames: [`${groupName} moved`],
    });
    await provider.updateHost(target, id, changed);

    const [host] = await provider.listHosts(target, [id]);
    expect(host).toMatchObject({
      name: changed.name,
      description: 'changed by updateHost',
      ipAddr: '127.0.2.99',
      enabled: false,
      groups: [{ externalId: expect.any(String), name: `${groupName} moved` }],
    });
    expect(host.host).toBe(technical);
    expect((await rawHost(id)).interfaces).toEqual([expect.objectContaining({ ip: '127.0.2.99', useip: '1' })]);
  });

  it('creates items on a pushed host and finds them by host and by id with key, value type, units and description', async () => {
    const { id: hostId } = await pushHost();
    const numeric = await provider.createItem(target, hostId, itemDraft());
    const text = await provider.createItem(
      target,
      hostId,
      itemDraft({ name: 'Nagare status', key: `nagare.status[${run}]`, valueType: 4, units: '', enabled: false }),
    );

    const byHost = await provider.listItems(target, [hostId]);
    expect(byHost).toEqual(
      expect.arrayContaining([
        {
          externalId: numeric,
          externalHostId: hostId,
          name: 'Nagare requests',
          key: `nagare.requests[${run}]`,
          valueType: 0,
          lastValue: null,
          units: 'rps',
          description: 'pushed by the contract suite',
          enabled: true,
          lastClock: null,
          state: 'normal',
          stateError: '',
        },
        expect.objectContaining({ externalId: text, key: `nagare.status[${run}]`, valueType: 4, enabled: false }),
      ]),
    );
    expect(byHost).toHaveLength(2);
    await expect(provider.getItems(target, [numeric, text])).resolves.toEqual(expect.arrayContaining(byHost));

    const [raw] = await api.call<Record<string, string>[]>('item.get', {
      itemids: [numeric],
      output: ['type', 'description'],
    });
    expect(raw).toMatchObject({ type: '2', description: 'pushed by the contract suite' });
  });

  it('updates an item: the change is visible, the item type is kept', async () => {
    const { id: hostId } = await pushHost();
    const itemId = await provider.createItem(target, hostId, itemDraft());
    await provider.updateItem(target, itemId, itemDraft({ name: 'Nagare latency', units: 'ms', valueType: 3 }));
    const [item] = await provider.getItems(target, [itemId]);
    expect(item).toMatchObject({ name: 'Nagare latency', units: 'ms', valueType: 3, key: `nagare.requests[${run}]` });
  });

  it('lists the items of several hosts in batches, as many as Zabbix has', async () => {
    const [server] = (await provider.listHosts(target)).filter((host) => host.host === 'Zabbix server');
    const { id: hostId } = await pushHost();
    const itemId = await provider.createItem(target, hostId, itemDraft());
    const serverItemCount = Number(await api.call('item.get', { hostids: [server.externalId], countOutput: true }));

    const batched = await newProvider({ itemBatchSize: 1 }).listItems(target, [server.externalId, hostId]);
    expect(batched).toHaveLength(serverItemCount + 1);
    expect(batched.filter((item) => item.externalHostId === server.externalId)).toHaveLength(serverItemCount);
    expect(batched.find((item) => item.externalHostId === hostId)?.externalId).toBe(itemId);
  });

  it('lists every host id in hostid order with its count of items, the count item.get finds', async () => {
    const [server] = (await provider.listHosts(target)).filter((host) => host.host === 'Zabbix server');
    const { id: hostId } = await pushHost();
    await provider.createItem(target, hostId, itemDraft());
    const serverItemCount = Number(await api.call('item.get', { hostids: [server.externalId], countOutput: true }));
    expect(serverItemCount).toBeGreaterThan(0);

    const sizes = await provider.listHostSizes(target);
    expect(sizes).toEqual(
      expect.arrayContaining([
        { externalId: server.externalId, items: serverItemCount },
        { externalId: hostId, items: 1 },
      ]),
    );
    const ids = sizes.map((size) => Number(size.externalId));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
  });

  it('sees a change made directly in Zabbix', async () => {
    const { id } = await pushHost();
    await api.call('host.update', { hostid: id, name: `Nagare ${run} renamed in Zabbix`, status: 1 });
    const [host] = await provider.listHosts(target, [id]);
    expect(host).toMatchObject({ name: `Nagare ${run} renamed in Zabbix`, enabled: false });
  });

  it('no longer lists a host deleted in Zabbix', async () => {
    const { id } = await pushHost();
    await api.call('host.delete', [id]);
    await expect(provider.listHosts(target, [id])).resolves.toEqual([]);
  });

  it('rejects a wrong password with MonitorAuthenticationError and Zabbix reason, without the password', async () => {
    // A user of its own: wrong passwords count toward the lockout of the account they are tried on.
    const { usrgrpids } = await api.call<{ usrgrpids: string[] }>('usergroup.create', { name: `Nagare test ${run}` });
    cleanup.userGroupIds.push(usrgrpids[0]);
    const username = `nagare-test-${run}`;
    const password = `Ng-${randomBytes(8).toString('hex')}`;
    const { userids } = await api.call<{ userids: string[] }>('user.create', {
      username,
      passwd: password,
      roleid: '1',
      usrgrps: [{ usrgrpid: usrgrpids[0] }],
    });
    cleanup.userIds.push(userids[0]);

    const user = { ...target, monitorId: 2, username, password };
    await expect(provider.check(user)).resolves.toEqual({ version: api.version });

    const wrong = `${password}-wrong`;
    const error = await provider.check({ ...user, monitorId: 3, password: wrong }).catch((e: Error) => e);
    expect(error).toBeInstanceOf(MonitorAuthenticationError);
    expect((error as Error).message).toBe(
      'Monitor rejected the credentials: Incorrect user name or password or account is temporarily blocked.',
    );
    expect((error as Error).message).not.toContain(wrong);
  });

  it('logs in again when Zabbix ended the session, and hands the new token to the listener', async () => {
    const sessions = newProvider();
    const monitorId = 4;
    const mine = () => tokens.filter((entry) => entry.monitorId === monitorId).map((entry) => entry.token);
    const monitor = { ...target, monitorId };

    await sessions.check(monitor);
    const [first] = mine();
    expect(first).toMatch(/^[0-9a-f]{32}$/);
    await api.logout(first as string);
    await expect(api.call('host.get', { limit: 1 }, first as string)).rejects.toThrow(ZabbixApiError);

    const hosts = await sessions.listHosts(monitor);
    expect(hosts.some((host) => host.host === 'Zabbix server')).toBe(true);
    const [, second] = mine();
    expect(mine()).toHaveLength(2);
    expect(second).toMatch(/^[0-9a-f]{32}$/);
    expect(second).not.toBe(first);
    await expect(api.call('host.get', { output: ['hostid'], limit: 1 }, second as string)).resolves.toHaveLength(1);

    // Another process handed the token it kept: used as is, no login. The ended one: a login.
    const other = newProvider();
    await other.listHosts({ ...monitor, authToken: second });
    expect(mine()).toHaveLength(2);
    await other.listHosts({ ...monitor, monitorId: 5, authToken: first });
    expect(tokens.filter((entry) => entry.monitorId === 5)).toEqual([
      { monitorId: 5, token: expect.stringMatching(/^[0-9a-f]{32}$/) },
    ]);
  });
});
