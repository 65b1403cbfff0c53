import { FakeRpcError, fakeHost, fakeItem } from '../../../../test/support/zabbix';
import { hostDraft, itemDraft, useZabbixProviderHarness } from '../../../../test/support/zabbix-provider-harness';
import { HostNameTakenError, MonitorRejectedObjectError } from '../provider-errors';
import { ZabbixProvider } from './zabbix.provider';

/** Issue 22 items 5, 6 and 9 at the provider: every group, the technical name, names as operators see them. */
describe(`${ZabbixProvider.name}: groups, technical names and resolved names`, () => {
  const { setup } = useZabbixProviderHarness();
  const groupsByName: Record<string, string> = { 'Web servers': '12', Databases: '13' };

  describe('hosts', () => {
    it('creates a host in every group of the draft, under the technical name it gives', async () => {
      const { fake, provider, target } = await setup();
      fake.on('hostgroup.get', (request) => {
        const [name] = (request.params.filter as { name: string[] }).name;
        return groupsByName[name] ? [{ groupid: groupsByName[name], name }] : [];
      });
      fake.on('hostgroup.create', () => ({ groupids: ['31'] }));
      fake.on('host.create', () => ({ hostids: ['10500'] }));
      const draft = hostDraft({ technicalName: 'web-01.prod', groupNames: ['Web servers', 'Databases', 'New one'] });
      await provider.createHost(target, draft);
      expect(fake.calls('hostgroup.create').map((request) => request.params)).toEqual([{ name: 'New one' }]);
      expect(fake.calls('host.create')[0].params).toMatchObject({
        host: 'web-01.prod',
        name: 'Web 01',
        groups: [{ groupid: '12' }, { groupid: '13' }, { groupid: '31' }],
      });
    });

    it('derives the technical name from the visible name when the draft has none', async () => {
      const { fake, provider, target } = await setup();
      fake.on('hostgroup.get', () => [{ groupid: '12', name: 'Web servers' }]);
      fake.on('host.create', () => ({ hostids: ['10500'] }));
      await provider.createHost(target, hostDraft({ name: 'a/b', technicalName: null }));
      expect(fake.calls('host.create')[0].params.host).toBe('a_b');
      expect(provider.technicalName('a/b')).toBe('a_b');
    });

    it('sends the technical name and the groups only when they differ from the server', async () => {
      const { fake, provider, target } = await setup();
      fake.on('host.get', () => [
        fakeHost('10500', {
          host: 'web01',
          name: 'Web 01',
          description: 'front web server',
          groups: [
            { groupid: '13', name: 'Databases' },
            { groupid: '12', name: 'Web servers' },
          ],
          interfaces: [],
        }),
      ]);
      fake.on('hostgroup.get', (request) => {
        const [name] = (request.params.filter as { name: string[] }).name;
        return [{ groupid: groupsByName[name], name }];
      });
      fake.on('host.update', () => ({ hostids: ['10500'] }));
      // The same groups in another order, no technical name (kept), no address: nothing to send.
      await provider.updateHost(target, '10500', hostDraft({ groupNames: ['Web servers', 'Databases'], ipAddr: null }));
      expect(fake.calls('host.update')).toHaveLength(0);

      await provider.updateHost(
        target,
        '10500',
        hostDraft({ technicalName: 'web01', groupNames: ['Web servers'], ipAddr: null }),
      );
      await provider.updateHost(target, '10500', hostDraft({ technicalName: 'web-01', ipAddr: null }));
      expect(fake.calls('host.update').map((request) => request.params)).toEqual([
        { hostid: '10500', groups: [{ groupid: '12' }] },
        { hostid: '10500', host: 'web-01', groups: [{ groupid: '12' }] },
      ]);
    });

    it("turns Zabbix's refusal of a technical name another host has into HostNameTakenError naming that host", async () => {
      const { fake, provider, target } = await setup();
      fake.on('hostgroup.get', () => [{ groupid: '12', name: 'Web servers' }]);
      fake.on('host.create', () => {
        throw new FakeRpcError('Host with the same name "a_b" already exists.');
      });
      fake.on('host.get', () => [{ hostid: '10400', host: 'a_b', name: 'a/b' }]);
      const error = await provider.createHost(target, hostDraft({ technicalName: 'a_b' })).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(HostNameTakenError);
      expect(error).toMatchObject({
        technicalName: 'a_b',
        holder: { externalId: '10400', name: 'a/b' },
        final: true,
        message:
          'Monitor API error in host.create: the technical name "a_b" is already taken on the monitor by host "a/b" ' +
          '(hostid 10400)',
      });
      expect(fake.calls('host.get')[0].params).toEqual({
        output: ['hostid', 'host', 'name'],
        filter: { host: ['a_b'] },
      });
    });

    it("leaves a clash of visible names the host's own refusal, not a technical name taken", async () => {
      const { fake, provider, target } = await setup();
      fake.on('hostgroup.get', () => [{ groupid: '12', name: 'Web servers' }]);
      fake.on('host.create', () => {
        throw new FakeRpcError('Host with the same visible name "Web 01" already exists.');
      });
      const error = await provider.createHost(target, hostDraft()).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MonitorRejectedObjectError);
      expect(error).toMatchObject({ kind: 'conflict', final: true });
      expect(error).not.toBeInstanceOf(HostNameTakenError);
    });
  });

  describe('item names', () => {
    it('asks 7.0 for name_resolved and uses it, falling back to name where it is empty', async () => {
      const { fake, provider, target } = await setup({ version: '7.0.22' });
      fake.on('item.get', () => [
        fakeItem('1', '10', { name: 'CPU of {$ROLE}', name_resolved: 'CPU of web' }),
        fakeItem('2', '10', { name: 'Plain', name_resolved: '' }),
      ]);
      const items = await provider.listItems(target, ['10']);
      expect(items.map((item) => item.name)).toEqual(['CPU of web', 'Plain']);
      expect(fake.calls('item.get')[0].params.output).toContain('name_resolved');
    });

    it('does not ask 6.0 for name_resolved, which it does not have', async () => {
      const { fake, provider, target } = await setup({ version: '6.0.14' });
      fake.on('item.get', () => [fakeItem('1', '10', { name: 'CPU of {$ROLE}' })]);
      const items = await provider.listItems(target, ['10']);
      expect(items[0].name).toBe('CPU of {$ROLE}');
      expect(fake.calls('item.get')[0].params.output).not.toContain('name_resolved');
    });

    it('does not overwrite a name with macros by its resolved form on a push', async () => {
      const { fake, provider, target } = await setup({ version: '7.0.22' });
      const current = { itemid: '4242', key_: 'web.requests', value_type: '3', units: 'rps', status: '0' };
      fake.on('item.get', () => [
        { ...current, name: 'Requests of {$ROLE}', name_resolved: 'Requests of web', description: '' },
      ]);
      fake.on('item.update', () => ({ itemids: ['4242'] }));
      await provider.updateItem(target, '4242', itemDraft({ name: 'Requests of web', description: '' }));
      expect(fake.calls('item.update')).toHaveLength(0);
      await provider.updateItem(target, '4242', itemDraft({ name: 'Requests', description: '' }));
      expect(fake.calls('item.update')[0].params).toEqual({ itemid: '4242', name: 'Requests' });
    });
  });
});
