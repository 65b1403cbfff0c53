import { FakeRpcError, fakeHost } from '../../../../test/support/zabbix';
import { failure, hostDraft, useZabbixProviderHarness } from '../../../../test/support/zabbix-provider-harness';
import { MonitorApiError, MonitorRejectedObjectError } from '../provider-errors';
import { ZabbixProvider } from './zabbix.provider';

describe(`${ZabbixProvider.name}: hosts`, () => {
  const { setup } = useZabbixProviderHarness();

  describe('hosts', () => {
    it('maps host.get records: main agent interface address, groups, enabled from status', async () => {
      const { fake, provider, target } = await setup();
      fake.on('host.get', () => [
        fakeHost('1', {
          host: 'db-01',
          name: 'Database 01',
          description: 'primary',
          status: '1',
          groups: [
            { groupid: '2', name: 'Linux servers' },
            { groupid: '9', name: 'Databases' },
          ],
          interfaces: [
            { interfaceid: '5', ip: '10.9.9.9', dns: '', port: '161', type: '2', main: '1', useip: '1' },
            { interfaceid: '6', ip: '10.0.0.6', dns: '', port: '10050', type: '1', main: '0', useip: '1' },
            { interfaceid: '7', ip: '10.0.0.7', dns: '', port: '10050', type: '1', main: '1', useip: '1' },
          ],
        }),
        fakeHost('2', {
          name: '',
          interfaces: [
            { interfaceid: '8', ip: '', dns: 'web.example', port: '10050', type: '1', main: '1', useip: '0' },
          ],
        }),
        fakeHost('3', { interfaces: [] }),
      ]);
      await expect(provider.listHosts(target)).resolves.toEqual([
        {
          externalId: '1',
          host: 'db-01',
          name: 'Database 01',
          description: 'primary',
          enabled: false,
          ipAddr: '10.0.0.7',
          groups: [
            { externalId: '2', name: 'Linux servers' },
            { externalId: '9', name: 'Databases' },
          ],
        },
        expect.objectContaining({ externalId: '2', name: 'host-2', ipAddr: 'web.example', enabled: true }),
        expect.objectContaining({ externalId: '3', ipAddr: null }),
      ]);
    });

    it('asks host.get for the documented fields, selectGroups before 6.2', async () => {
      const { fake, provider, target } = await setup({ version: '6.0.14' });
      await provider.listHosts(target, ['10084', '10084', '10085']);
      expect(fake.calls('host.get')[0].params).toEqual({
        output: ['hostid', 'host', 'name', 'description', 'status'],
        selectInterfaces: ['interfaceid', 'ip', 'dns', 'port', 'type', 'main', 'useip'],
        selectGroups: ['groupid', 'name'],
        hostids: ['10084', '10085'],
      });
    });

    it('uses selectHostGroups and reads hostgroups from 6.2 on', async () => {
      const { fake, provider, target } = await setup({ version: '6.2.9' });
      fake.on('host.get', () => [
        fakeHost('1', { groups: undefined, hostgroups: [{ groupid: '4', name: 'Zabbix servers' }] }),
      ]);
      const [host] = await provider.listHosts(target);
      expect(fake.calls('host.get')[0].params).toHaveProperty('selectHostGroups', ['groupid', 'name']);
      expect(fake.calls('host.get')[0].params).not.toHaveProperty('selectGroups');
      expect(host.groups).toEqual([{ externalId: '4', name: 'Zabbix servers' }]);
    });

    it('makes no call for an empty list of host ids', async () => {
      const { fake, provider, target } = await setup();
      await expect(provider.listHosts(target, [])).resolves.toEqual([]);
      expect(fake.requests).toHaveLength(0);
    });

    it.each([
      ['a result that is not a list', { hosts: [] }, 'the result is not a list'],
      ['a host without hostid', [{ host: 'x', name: 'x', status: '0' }], 'host 0 has no string "hostid"'],
      ['a non-numeric hostid', [fakeHost('abc')], 'host 0 has a non-numeric "hostid"'],
      ['groups that are not a list', [fakeHost('1', { groups: 'Linux' })], "host 0's groups is not a list"],
    ])('rejects %s as a malformed reply', async (_what, result, detail) => {
      const { fake, provider, target } = await setup();
      fake.on('host.get', () => result);
      const error = await failure(provider.listHosts(target));
      expect(error).toBeInstanceOf(MonitorApiError);
      expect(error.message).toBe(`Monitor sent a malformed reply to host.get: ${detail}`);
    });

    it('reports any other Zabbix error as MonitorApiError with its data and code', async () => {
      const { fake, provider, target } = await setup();
      fake.on('host.get', () => {
        throw new FakeRpcError('No permissions to referred object or it does not exist!', -32500, 'Application error.');
      });
      const error = await failure(provider.listHosts(target));
      expect(error).toBeInstanceOf(MonitorApiError);
      expect(error).toMatchObject({
        code: -32500,
        message:
          'Monitor API error in host.get: Application error. No permissions to referred object or it does not exist!',
      });
    });

    it('creates a host in an existing group, with an agent interface on its IP', async () => {
      const { fake, provider, target } = await setup();
      fake.on('hostgroup.get', () => [{ groupid: '12', name: 'Web servers' }]);
      fake.on('host.create', () => ({ hostids: ['10500'] }));
      await expect(provider.createHost(target, hostDraft({ name: 'Web 01 (é/ß)' }))).resolves.toBe('10500');
      expect(fake.calls('hostgroup.get')[0].params).toEqual({
        output: ['groupid', 'name'],
        filter: { name: ['Web servers'] },
      });
      expect(fake.calls('hostgroup.create')).toHaveLength(0);
      expect(fake.calls('host.create')[0].params).toEqual({
        host: 'Web 01 _e___',
        name: 'Web 01 (é/ß)',
        description: 'front web server',
        status: 0,
        interfaces: [{ type: 1, main: 1, port: '10050', useip: 1, ip: '127.1.2.3', dns: '' }],
        groups: [{ groupid: '12' }],
      });
    });

    it('creates the group when the server has none of that name, and no interface for a host without address', async () => {
      const { fake, provider, target } = await setup();
      fake.on('hostgroup.get', () => []);
      fake.on('hostgroup.create', () => ({ groupids: ['31'] }));
      fake.on('host.create', () => ({ hostids: ['10501'] }));
      await provider.createHost(target, hostDraft({ enabled: false, ipAddr: null }));
      expect(fake.calls('hostgroup.create')[0].params).toEqual({ name: 'Web servers' });
      expect(fake.calls('host.create')[0].params).toMatchObject({
        status: 1,
        interfaces: [],
        groups: [{ groupid: '31' }],
      });
    });

    it("turns Zabbix's refusal of a duplicate host into that host's failure (conflict, final)", async () => {
      const { fake, provider, target } = await setup();
      fake.on('hostgroup.get', () => [{ groupid: '12', name: 'Web servers' }]);
      fake.on('host.create', () => {
        throw new FakeRpcError('Host with the same visible name "Web 01" already exists.');
      });
      const error = await failure(provider.createHost(target, hostDraft()));
      expect(error).toBeInstanceOf(MonitorRejectedObjectError);
      expect(error).toMatchObject({
        kind: 'conflict',
        final: true,
        message:
          'Monitor API error in host.create: Invalid params. Host with the same visible name "Web 01" already exists.',
      });
    });

    it('connects a host by DNS when its address is a name', async () => {
      const { fake, provider, target } = await setup();
      fake.on('hostgroup.get', () => [{ groupid: '12', name: 'Web servers' }]);
      fake.on('host.create', () => ({ hostids: ['10502'] }));
      await provider.createHost(target, hostDraft({ ipAddr: 'web01.example.org' }));
      expect(fake.calls('host.create')[0].params.interfaces).toEqual([
        { type: 1, main: 1, port: '10050', useip: 0, ip: '', dns: 'web01.example.org' },
      ]);
    });

    it('uses the group someone else created between its get and its create', async () => {
      const { fake, provider, target } = await setup();
      let created = false;
      fake.on('hostgroup.get', () => (created ? [{ groupid: '40', name: 'Web servers' }] : []));
      fake.on('hostgroup.create', () => {
        created = true;
        throw new FakeRpcError('Host group "Web servers" already exists.');
      });
      fake.on('host.create', () => ({ hostids: ['10503'] }));
      await provider.createHost(target, hostDraft());
      expect(fake.calls('host.create')[0].params.groups).toEqual([{ groupid: '40' }]);
    });

    it('rejects a host.create answer without hostids as a malformed reply', async () => {
      const { fake, provider, target } = await setup();
      fake.on('hostgroup.get', () => [{ groupid: '12', name: 'Web servers' }]);
      fake.on('host.create', () => ({ hostids: [] }));
      await expect(provider.createHost(target, hostDraft())).rejects.toThrow(
        new MonitorApiError('Monitor sent a malformed reply to host.create: the result has no "hostids"'),
      );
    });

    it('updates only what changed, keeps the technical name, and moves the main interface to the new IP', async () => {
      const { fake, provider, target } = await setup();
      fake.on('host.get', () => [
        fakeHost('10500', {
          host: 'web01',
          name: 'Web 01',
          description: 'old',
          groups: [{ groupid: '2', name: 'Linux servers' }],
          interfaces: [
            { interfaceid: '77', ip: '127.1.2.3', dns: '', port: '10050', type: '1', main: '1', useip: '1' },
          ],
        }),
      ]);
      fake.on('hostgroup.get', () => [{ groupid: '12', name: 'Web servers' }]);
      fake.on('host.update', () => ({ hostids: ['10500'] }));
      fake.on('hostinterface.update', () => ({ interfaceids: ['77'] }));
      await provider.updateHost(target, '10500', hostDraft({ description: 'new', enabled: false, ipAddr: '10.1.2.4' }));
      expect(fake.calls('host.update')[0].params).toEqual({
        hostid: '10500',
        description: 'new',
        status: 1,
        groups: [{ groupid: '12' }],
      });
      expect(fake.calls('hostinterface.update')[0].params).toEqual({ interfaceid: '77', useip: 1, ip: '10.1.2.4' });
    });

    it('sends no update when nothing changed', async () => {
      const { fake, provider, target } = await setup();
      fake.on('host.get', () => [
        fakeHost('10500', {
          name: 'Web 01',
          description: 'front web server',
          groups: [{ groupid: '12', name: 'Web servers' }],
          interfaces: [
            { interfaceid: '77', ip: '127.1.2.3', dns: '', port: '10050', type: '1', main: '1', useip: '1' },
          ],
        }),
      ]);
      await provider.updateHost(target, '10500', hostDraft());
      expect(fake.requests.map((request) => request.method)).toEqual(['apiinfo.version', 'user.login', 'host.get']);
    });

    it('adds a main agent interface to a host that has none', async () => {
      const { fake, provider, target } = await setup();
      fake.on('host.get', () => [
        fakeHost('10500', {
          name: 'Web 01',
          description: 'front web server',
          groups: [{ groupid: '12', name: 'Web servers' }],
          interfaces: [],
        }),
      ]);
      fake.on('hostinterface.create', () => ({ interfaceids: ['78'] }));
      await provider.updateHost(target, '10500', hostDraft());
      expect(fake.calls('hostinterface.create')[0].params).toEqual({
        hostid: '10500',
        type: 1,
        main: 1,
        port: '10050',
        useip: 1,
        ip: '127.1.2.3',
        dns: '',
      });
    });

    it('lists every host id with its count of items, in hostid order; a count left out or not a count is unknown', async () => {
      const { fake, provider, target } = await setup();
      fake.on('host.get', () => [
        { hostid: '10084', items: '54' },
        { hostid: '10085', items: '0' },
        { hostid: '10086' },
        { hostid: '10087', items: 'many' },
      ]);
      await expect(provider.listHostSizes(target)).resolves.toEqual([
        { externalId: '10084', items: 54 },
        { externalId: '10085', items: 0 },
        { externalId: '10086', items: undefined },
        { externalId: '10087', items: undefined },
      ]);
      expect(fake.calls('host.get')[0].params).toEqual({
        output: ['hostid'],
        selectItems: 'count',
        sortfield: 'hostid',
      });
    });

    it("fails with that host's failure (422, final) when the host to update is not on the monitor", async () => {
      const { fake, provider, target } = await setup();
      fake.on('host.get', () => []);
      await expect(provider.updateHost(target, '999', hostDraft())).rejects.toMatchObject({
        message: 'Monitor API error in host.update: no host with id 999 on the monitor',
        kind: 'unprocessable',
        final: true,
      });
    });

    it('deletes a host that is on the monitor with host.delete, and reports one that is no longer there', async () => {
      const { fake, provider, target } = await setup();
      fake.on('host.get', (request) => ((request.params.hostids as string[])[0] === '10' ? [{ hostid: '10' }] : []));
      fake.on('host.delete', () => ({ hostids: ['10'] }));
      await expect(provider.deleteHost(target, '10')).resolves.toBe(true);
      await expect(provider.deleteHost(target, '11')).resolves.toBe(false);
      expect(fake.calls('host.delete').map((call) => call.params)).toEqual([['10']]);
    });
  });
});
