import { FakeRpcError, fakeHost, fakeItem } from '../../../../test/support/zabbix';
import { itemDraft, useZabbixProviderHarness } from '../../../../test/support/zabbix-provider-harness';
import { MonitorApiError, MonitorRejectedObjectError, MonitorReplyTooLargeError } from '../provider-errors';
import { ZabbixProvider } from './zabbix.provider';

describe(`${ZabbixProvider.name}: items and options`, () => {
  const { setup } = useZabbixProviderHarness();

  describe('items', () => {
    it('asks item.get for 250 hosts in exactly 3 calls of at most 100 hosts', async () => {
      const { fake, provider, target } = await setup({}, { itemBatchSize: 100 });
      fake.on('item.get', (request) =>
        (request.params.hostids as string[]).map((hostid) => fakeItem(`9${hostid}`, hostid)),
      );
      const hostIds = Array.from({ length: 250 }, (_, i) => String(20_000 + i));
      const items = await provider.listItems(target, hostIds);
      const calls = fake.calls('item.get');
      expect(calls).toHaveLength(3);
      expect(calls.map((request) => (request.params.hostids as string[]).length)).toEqual([100, 100, 50]);
      expect(calls.flatMap((request) => request.params.hostids)).toEqual(hostIds);
      expect(calls[0].params.output).toEqual([
        'itemid',
        'hostid',
        'name',
        'key_',
        'lastvalue',
        'units',
        'description',
        'value_type',
        'status',
        'lastclock',
        'state',
        'error',
      ]);
      expect(items.map((item) => item.externalHostId)).toEqual(hostIds);
    });

    it('lists 2,000 hosts with 10 items each in one host.get and 20 item.get calls', async () => {
      const { fake, provider, target } = await setup();
      const hostIds = Array.from({ length: 2_000 }, (_, i) => String(30_000 + i));
      fake.on('host.get', () => hostIds.map((id) => fakeHost(id)));
      fake.on('item.get', (request) =>
        (request.params.hostids as string[]).flatMap((hostid) =>
          Array.from({ length: 10 }, (_, n) => fakeItem(`${hostid}${n}`, hostid, { lastclock: '1700000000' })),
        ),
      );
      const started = Date.now();
      const hosts = await provider.listHosts(target);
      const items = await provider.listItems(
        target,
        hosts.map((host) => host.externalId),
      );
      expect(hosts).toHaveLength(2_000);
      expect(items).toHaveLength(20_000);
      expect(new Set(items.map((item) => item.externalId)).size).toBe(20_000);
      expect(fake.calls('item.get')).toHaveLength(20);
      expect(Date.now() - started).toBeLessThan(10_000);
    });

    it('asks again in halves, down to one host, for items whose reply is past the bound; one host past it fails', async () => {
      const { fake, provider, target } = await setup({}, { maxReplyBytes: 64 * 1024 });
      // Host 10003's items are 100 KB of JSON on their own; every other host's about 1 KB.
      fake.on('item.get', (request) =>
        (request.params.hostids as string[]).map((hostid) =>
          fakeItem(`9${hostid}`, hostid, { description: 'x'.repeat(hostid === '10003' ? 100_000 : 1_000) }),
        ),
      );
      const hostIds = Array.from({ length: 100 }, (_, i) => String(10_000 + i));
      const items = await provider.listItems(target, hostIds.slice(4));
      expect(items.map((item) => item.externalHostId)).toEqual(hostIds.slice(4));
      // 96 hosts (about 100 KB) are past 64 KB: asked again as 48 and 48, each within it.
      expect(fake.calls('item.get').map((call) => (call.params.hostids as string[]).length)).toEqual([96, 48, 48]);

      const error = await provider.listItems(target, hostIds.slice(0, 8)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MonitorReplyTooLargeError);
      expect((error as Error).message).toMatch(/^Monitor sent a reply to item\.get at .* larger than 65536 bytes/);
      // 8 → 4 → 2 → 1: host 10003 alone is past the bound, and that is the failure.
      const lastCalls = fake.calls('item.get').slice(3);
      expect(lastCalls.map((call) => call.params.hostids)).toEqual([
        hostIds.slice(0, 8),
        hostIds.slice(0, 4),
        hostIds.slice(0, 2),
        hostIds.slice(2, 4),
        ['10002'],
        ['10003'],
      ]);
    });

    it('yields one batch per item.get call', async () => {
      const { fake, provider, target } = await setup({}, { itemBatchSize: 2 });
      fake.on('item.get', (request) => (request.params.hostids as string[]).map((h) => fakeItem(`1${h}`, h)));
      const batches: string[][] = [];
      for await (const batch of provider.listItemBatches(target, ['1', '2', '3', '2'])) {
        batches.push(batch.map((item) => item.externalId));
        expect(fake.calls('item.get')).toHaveLength(batches.length);
      }
      expect(batches).toEqual([['11', '12'], ['13']]);
    });

    it('converts item.get strings: value type number, lastclock "0" as never collected', async () => {
      const { fake, provider, target } = await setup();
      fake.on('item.get', () => [
        fakeItem('1', '10', { value_type: '0', units: '%', lastvalue: '12.5', lastclock: '1700000000', status: '0' }),
        fakeItem('2', '10', { value_type: '4', lastvalue: '0', lastclock: '0', status: '1' }),
      ]);
      await expect(provider.listItems(target, ['10'])).resolves.toEqual([
        {
          externalId: '1',
          externalHostId: '10',
          name: 'Item 1',
          key: 'key.1',
          valueType: 0,
          lastValue: '12.5',
          units: '%',
          description: '',
          enabled: true,
          lastClock: new Date(1_700_000_000_000),
          state: 'normal',
          stateError: '',
        },
        expect.objectContaining({ externalId: '2', valueType: 4, lastValue: null, lastClock: null, enabled: false }),
      ]);
    });

    it('gets items by their own ids', async () => {
      const { fake, provider, target } = await setup();
      fake.on('item.get', (request) => (request.params.itemids as string[]).map((id) => fakeItem(id, '10')));
      await expect(provider.getItems(target, ['5', '6'])).resolves.toHaveLength(2);
      expect(fake.calls('item.get')[0].params).toMatchObject({ itemids: ['5', '6'] });
      expect(fake.calls('item.get')[0].params).not.toHaveProperty('hostids');
    });

    it('rejects an item with a non-numeric value_type as a malformed reply', async () => {
      const { fake, provider, target } = await setup();
      fake.on('item.get', () => [fakeItem('1', '10'), fakeItem('2', '10', { value_type: 'float' })]);
      await expect(provider.listItems(target, ['10'])).rejects.toThrow(
        new MonitorApiError('Monitor sent a malformed reply to item.get: item 1 has a non-numeric "value_type"'),
      );
    });

    it('creates a trapper item, which needs no interface and no delay', async () => {
      const { fake, provider, target } = await setup();
      fake.on('item.create', () => ({ itemids: ['4242'] }));
      await expect(provider.createItem(target, '10500', itemDraft({ enabled: false }))).resolves.toBe('4242');
      expect(fake.calls('item.create')[0].params).toEqual({
        hostid: '10500',
        type: 2,
        name: 'Requests',
        key_: 'web.requests',
        value_type: 3,
        units: 'rps',
        description: 'requests per second',
        status: 1,
      });
    });

    it('updates only the item fields that changed', async () => {
      const { fake, provider, target } = await setup();
      fake.on('item.get', () => [
        {
          itemid: '4242',
          name: 'Requests',
          key_: 'web.requests',
          value_type: '3',
          units: 'rps',
          description: 'old',
          status: '0',
        },
      ]);
      fake.on('item.update', () => ({ itemids: ['4242'] }));
      await provider.updateItem(target, '4242', itemDraft({ description: 'new', valueType: 0 }));
      expect(fake.calls('item.update')[0].params).toEqual({ itemid: '4242', value_type: 0, description: 'new' });
    });

    it("fails with that item's failure (422, final) when the item to update is not on the monitor", async () => {
      const { fake, provider, target } = await setup();
      fake.on('item.get', () => []);
      const error = await provider.updateItem(target, '5', itemDraft()).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(MonitorRejectedObjectError);
      expect(error).toMatchObject({
        message: 'Monitor API error in item.update: no item with id 5 on the monitor',
        kind: 'unprocessable',
        final: true,
      });
    });

    it("turns Zabbix's refusal of an item into that item's failure: 409 when it already exists, else 422", async () => {
      const { fake, provider, target } = await setup();
      fake.on('item.create', () => {
        throw new FakeRpcError('Item with key "load" already exists on "web-01".');
      });
      fake.on('item.delete', () => {
        throw new FakeRpcError('Cannot delete templated item.');
      });
      fake.on('item.get', () => [{ itemid: '7' }]);
      await expect(provider.createItem(target, '10', itemDraft())).rejects.toMatchObject({
        kind: 'conflict',
        message: 'Monitor API error in item.create: Invalid params. Item with key "load" already exists on "web-01".',
      });
      await expect(provider.deleteItem(target, '7')).rejects.toMatchObject({ kind: 'unprocessable', final: true });
    });

    it('deletes an item that is on the monitor, and reports one that is no longer there', async () => {
      const { fake, provider, target } = await setup();
      fake.on('item.get', (request) => ((request.params.itemids as string[])[0] === '7' ? [{ itemid: '7' }] : []));
      fake.on('item.delete', () => ({ itemids: ['7'] }));
      await expect(provider.deleteItem(target, '7')).resolves.toBe(true);
      await expect(provider.deleteItem(target, '8')).resolves.toBe(false);
      expect(fake.calls('item.delete').map((call) => call.params)).toEqual([['7']]);
    });
  });

  it('refuses options that are not positive', () => {
    expect(() => new ZabbixProvider({ itemBatchSize: 0 })).toThrow(
      'ZabbixProvider option itemBatchSize must be a positive integer, got 0',
    );
    expect(() => new ZabbixProvider({ timeoutMs: -1 })).toThrow(
      'ZabbixProvider option timeoutMs must be a positive number, got -1',
    );
  });
});
