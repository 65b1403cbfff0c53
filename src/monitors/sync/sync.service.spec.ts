import { Logger } from '@nestjs/common';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { cliDataSourceOptions } from '../../cli-data-source';
import { ConflictError } from '../../common/http/domain-error';
import { runMigrations } from '../../database/run-migrations';
import { Transactions } from '../../database/transactions';
import { CredentialsCipher } from '../credentials-cipher';
import { HostGroupLink } from '../entities/host-group-link.entity';
import { HostGroup } from '../entities/host-group.entity';
import { Host } from '../entities/host.entity';
import { Item } from '../entities/item.entity';
import { Monitor } from '../entities/monitor.entity';
import { SyncStatus } from '../entities/sync-status';
import type { HostDraft, ItemDraft, MonitorProvider, RemoteHost, RemoteItem } from '../providers/monitor-provider';
import { MonitorProviders } from '../providers/monitor-providers';
import { HostNameTakenError, MonitorRejectedObjectError, MonitorUnreachableError } from '../providers/provider-errors';
import { HostsService } from '../services/hosts.service';
import { ItemsService } from '../services/items.service';
import { MonitorsService } from '../services/monitors.service';
import { MonitorsWriter } from '../services/monitors-writer';
import type { AppConfig } from '../../config/app-config';
import { InventoryWriter, ITEM_VANISHED } from './inventory-writer';
import { MonitorDeletes } from './monitor-deletes';
import { MonitorSessions } from './monitor-sessions';
import type { MonitorLock } from './monitor-lock';
import { SyncService } from './sync.service';
import { TechnicalNameTakenError } from './technical-names';

/** A monitor in memory: what it holds, and what it was asked to create or update. */
class FakeProvider implements MonitorProvider {
  readonly type = 'zabbix' as const;
  technicalName = (name: string) => name.replace(/[^0-9A-Za-z ._-]/g, '_');
  hosts: RemoteHost[] = [];
  items: RemoteItem[] = [];
  failItems?: Error;
  failHosts?: Error;
  failWrites?: Error;
  /** External ids the monitor no longer has: deleting them finds nothing. */
  readonly gone = new Set<string>();
  readonly deleted: string[] = [];
  readonly created: HostDraft[] = [];
  readonly updated: string[] = [];
  readonly createdItems: { externalHostId: string; draft: ItemDraft }[] = [];
  private nextId = 500;

  check = async () => ({ version: '7.0.0' });
  /** The ids each listHosts call asked for (undefined: all hosts), and the hosts each listItems call named. */
  readonly hostCalls: (string[] | undefined)[] = [];
  readonly itemCalls: string[][] = [];

  listHosts = async (_target: unknown, ids?: string[]) => {
    this.hostCalls.push(ids);
    if (this.failHosts) throw this.failHosts;
    return this.hosts.filter((host) => !ids || ids.includes(host.externalId));
  };
  /** Whether listHostSizes says how many items each host has, as Zabbix does. */
  countsItems = true;
  listHostSizes = async () => {
    if (this.failHosts) throw this.failHosts;
    const counts = new Map<string, number>();
    for (const item of this.items) counts.set(item.externalHostId, (counts.get(item.externalHostId) ?? 0) + 1);
    return this.hosts.map((host) => ({
      externalId: host.externalId,
      items: this.countsItems ? (counts.get(host.externalId) ?? 0) : undefined,
    }));
  };
  listItems = async (_target: unknown, hostIds: string[]) => {
    this.itemCalls.push(hostIds);
    if (this.failItems) throw this.failItems;
    return this.items.filter((item) => hostIds.includes(item.externalHostId));
  };
  async *listItemBatches(target: unknown, hostIds: string[]) {
    yield await this.listItems(target, hostIds);
  }
  getItems = async (_target: unknown, ids: string[]) => this.items.filter((item) => ids.includes(item.externalId));
  createHost = async (_target: unknown, draft: HostDraft) => {
    if (this.failWrites) throw this.failWrites;
    this.created.push(draft);
    return String(++this.nextId);
  };
  updateHost = async (_target: unknown, externalId: string) => {
    if (this.failWrites) throw this.failWrites;
    this.updated.push(externalId);
  };
  createItem = async (_target: unknown, externalHostId: string, draft: ItemDraft) => {
    this.createdItems.push({ externalHostId, draft });
    return String(++this.nextId);
  };
  updateItem = async (_target: unknown, externalId: string) => void this.updated.push(externalId);
  deleteHost = async (_target: unknown, externalId: string) => this.remove(externalId);
  deleteItem = async (_target: unknown, externalId: string) => this.remove(externalId);
  private remove(externalId: string): boolean {
    if (this.failWrites) throw this.failWrites;
    this.deleted.push(externalId);
    return !this.gone.has(externalId);
  }
  listProblems = async () => [];
  problemResolutions = async () => [];
  acknowledgeProblem = async () => undefined;
}

const remoteHost = (externalId: string): RemoteHost => ({
  externalId,
  host: `host-${externalId}`,
  name: `Host ${externalId}`,
  description: '',
  enabled: true,
  ipAddr: '192.0.2.1',
  groups: [{ externalId: '2', name: 'Linux servers' }],
});

const remoteItem = (externalId: string, externalHostId: string): RemoteItem => ({
  externalId,
  externalHostId,
  name: `Item ${externalId}`,
  key: `key.${externalId}`,
  valueType: 0,
  lastValue: '1',
  units: '',
  description: '',
  enabled: true,
  lastClock: null,
  state: 'normal',
  stateError: '',
});

/** The sync's own logic on a real SQLite file, migrated as the service migrates it, and a fake monitor. */
describe(SyncService.name, () => {
  let dir: string;
  let data: DataSource;
  let provider: FakeProvider;
  let sync: SyncService;
  let deletes: MonitorDeletes;
  let monitorId: number;

  beforeAll(() => Logger.overrideLogger(false));
  afterAll(() => Logger.overrideLogger(new Logger()));

  const monitor = () => data.getRepository(Monitor).findOneByOrFail({ id: monitorId });
  const hostsOf = () => data.getRepository(Host).find({ where: { monitorId }, order: { externalId: 'ASC' } });

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nagare-sync-'));
    data = await new DataSource(cliDataSourceOptions({ kind: 'sqlite', path: join(dir, 'db.sqlite') })).initialize();
    await runMigrations(data);
    const cipher = new CredentialsCipher('a-secret-long-enough-for-the-test-only');
    const inventory = new InventoryWriter(new Transactions(data));
    provider = new FakeProvider();
    const providers = new MonitorProviders([provider]);
    const monitorsWriter = new MonitorsWriter(new Transactions(data), inventory);
    const monitors = new MonitorsService(data.getRepository(Monitor), cipher, providers, monitorsWriter, inventory);
    const hosts = new HostsService(
      data.getRepository(Host),
      data.getRepository(Monitor),
      data.getRepository(HostGroup),
      inventory,
    );
    const items = new ItemsService(data.getRepository(Item), data.getRepository(Host), inventory);
    const lock = { run: (_id: number, _wait: number, work: () => Promise<unknown>) => work() } as MonitorLock;
    const sessions = new MonitorSessions(monitors, providers, inventory, lock);
    const config = { sync: { intervalSeconds: 0, pushGroup: 'Nagare' } } as AppConfig;
    sync = new SyncService(sessions, hosts, items, inventory, config);
    deletes = new MonitorDeletes(sessions, hosts, items, inventory);
    const saved = await data.getRepository(Monitor).save({
      name: 'zabbix',
      url: 'http://zabbix.example.test',
      type: 'zabbix',
      username: 'Admin',
      passwordEncrypted: cipher.encrypt('secret'),
    });
    monitorId = saved.id;
  });
  afterEach(async () => {
    await data.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('pulls every host and its items, counts them, and leaves the monitor active with a summary', async () => {
    provider.hosts = [remoteHost('10'), remoteHost('11')];
    provider.items = [remoteItem('100', '10'), remoteItem('101', '10'), remoteItem('110', '11')];
    const progress: [number, number][] = [];
    const result = await sync.pullHosts(monitorId, { progress: (done, total) => void progress.push([done, total]) });
    expect(result).toEqual({
      added: 2,
      updated: 0,
      unchanged: 0,
      vanished: 0,
      failed: 0,
      total: 2,
      items: { added: 3, updated: 0, unchanged: 0, vanished: 0, failed: 0, total: 3, unsupported: 0 },
    });
    expect((await hostsOf()).map((host) => host.externalId)).toEqual(['10', '11']);
    expect(await data.getRepository(Item).count()).toBe(3);
    expect(await monitor()).toMatchObject({
      status: SyncStatus.Active,
      statusDescription: 'Synced 2 hosts and 3 items',
      lastSyncAt: expect.any(Date),
    });
    expect(progress.at(-1)).toEqual([2, 2]);
  });

  it('puts the monitor in error with the reason when it cannot be reached, and rethrows', async () => {
    provider.failHosts = new MonitorUnreachableError('Monitor unreachable: connection refused');
    await expect(sync.pullHosts(monitorId)).rejects.toBeInstanceOf(MonitorUnreachableError);
    expect(await monitor()).toMatchObject({
      status: SyncStatus.Error,
      statusDescription: 'Monitor unreachable: connection refused',
    });
  });

  it('ends a pull that failed midway in error, keeping the hosts it had written', async () => {
    provider.hosts = [remoteHost('10')];
    provider.failItems = new Error('item.get exploded');
    await expect(sync.pullHosts(monitorId)).rejects.toThrow('item.get exploded');
    expect(await monitor()).toMatchObject({
      status: SyncStatus.Error,
      statusDescription: 'Sync failed: item.get exploded',
    });
    expect(await hostsOf()).toHaveLength(1);
  });

  it('refuses a disabled monitor without calling it', async () => {
    await data.getRepository(Monitor).update({ id: monitorId }, { enabled: false });
    provider.failHosts = new Error('must not be called');
    await expect(sync.pullHosts(monitorId)).rejects.toBeInstanceOf(ConflictError);
    expect((await monitor()).status).toBe(SyncStatus.Inactive);
  });

  it('creates a local host on the monitor once, stores its id there, and updates it on the next push', async () => {
    const local = await data.getRepository(Host).save({ name: 'web-01', monitorId: null, ipAddr: '10.0.0.1' });
    expect(await sync.pushHost(monitorId, local.id)).toMatchObject({ added: 1, updated: 0 });
    const pushed = await data.getRepository(Host).findOneByOrFail({ id: local.id });
    expect(pushed).toMatchObject({ monitorId, externalId: '501', status: SyncStatus.Active });
    expect(provider.created).toEqual([expect.objectContaining({ name: 'web-01', groupNames: ['Nagare'] })]);
    expect(await sync.pushHost(monitorId, local.id)).toMatchObject({ added: 0, updated: 1 });
    expect(provider.updated).toEqual(['501']);
  });

  it("pushes an item's new host first, then the item under the host's id on the monitor", async () => {
    const host = await data.getRepository(Host).save({ name: 'db-01', monitorId: null });
    const item = await data.getRepository(Item).save({ hostId: host.id, name: 'load', key: 'system.load' });
    expect(await sync.pushItem(monitorId, host.id, item.id)).toMatchObject({ added: 1 });
    expect(provider.createdItems).toEqual([
      { externalHostId: '501', draft: expect.objectContaining({ key: 'system.load' }) },
    ]);
    expect(await data.getRepository(Item).findOneByOrFail({ id: item.id })).toMatchObject({
      externalId: '502',
      externalHostId: '501',
      status: SyncStatus.Active,
    });
  });

  it('marks an item the monitor no longer has as vanished, and counts it vanished once', async () => {
    provider.hosts = [remoteHost('10')];
    provider.items = [remoteItem('100', '10')];
    await sync.pullHosts(monitorId);
    const [host] = await hostsOf();
    const item = await data.getRepository(Item).findOneByOrFail({ externalId: '100' });
    provider.items = [];
    expect(await sync.pullItem(monitorId, host.id, item.id)).toMatchObject({ vanished: 1, failed: 0, total: 0 });
    expect(await sync.pullItem(monitorId, host.id, item.id)).toMatchObject({ vanished: 0, total: 0 });
    expect(await data.getRepository(Item).findOneByOrFail({ id: item.id })).toMatchObject({
      status: SyncStatus.Error,
      statusDescription: ITEM_VANISHED,
    });
  });

  it('counts changed, unchanged, vanished and unsupported rows of a second pull, hosts and items apart', async () => {
    provider.hosts = [remoteHost('10'), remoteHost('11'), remoteHost('12')];
    provider.items = [remoteItem('100', '10'), remoteItem('101', '10'), remoteItem('110', '11')];
    provider.items.push(remoteItem('120', '12'));
    await sync.pullHosts(monitorId);

    provider.hosts = [{ ...remoteHost('10'), name: 'renamed' }, remoteHost('11')];
    provider.items = [
      { ...remoteItem('100', '10'), state: 'not_supported', stateError: 'Value "n/a" is not suitable' },
      remoteItem('110', '11'),
    ];
    const second = await sync.pullHosts(monitorId);

    expect(second).toEqual({
      added: 0,
      updated: 1,
      unchanged: 1,
      vanished: 1,
      failed: 0,
      total: 2,
      // 101 vanished from its host, 120 with its host.
      items: { added: 0, updated: 1, unchanged: 1, vanished: 2, failed: 0, total: 2, unsupported: 1 },
    });
    const third = await sync.pullHosts(monitorId);
    expect(third).toMatchObject({ updated: 0, unchanged: 2, vanished: 0, items: { unchanged: 2, vanished: 0 } });
  });

  it("records a host the monitor refuses as that host's failure: status 2 with the reason, the monitor untouched", async () => {
    const local = await data.getRepository(Host).save({ name: 'web-01', monitorId: null, ipAddr: null });
    const refusal =
      'Monitor API error in host.create: Invalid params. Host with the same name "web-01" already exists.';
    provider.failWrites = new MonitorRejectedObjectError(refusal, true);
    const error = await sync.pushHost(monitorId, local.id).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(MonitorRejectedObjectError);
    expect(error).toMatchObject({ kind: 'conflict', final: true });
    expect(await data.getRepository(Host).findOneByOrFail({ id: local.id })).toMatchObject({
      status: SyncStatus.Error,
      statusDescription: refusal,
      monitorId: null,
      externalId: null,
    });
    expect(await monitor()).toMatchObject({ status: SyncStatus.Inactive, statusDescription: '' });
  });

  it('deletes a host on the monitor, then here with its items, and says whether the monitor still had it', async () => {
    provider.hosts = [remoteHost('10'), remoteHost('11')];
    provider.items = [remoteItem('100', '10')];
    await sync.pullHosts(monitorId);
    const [first, second] = await hostsOf();
    expect(await deletes.deleteHost(monitorId, first.id)).toMatchObject({ deleted: 1 });
    provider.gone.add('11');
    expect(await deletes.deleteHost(monitorId, second.id)).toMatchObject({ deleted: 0 });
    expect(provider.deleted).toEqual(['10', '11']);
    expect(await hostsOf()).toEqual([]);
    expect(await data.getRepository(Item).count()).toBe(0);
  });

  it('keeps a host the monitor refuses to delete, with the reason', async () => {
    provider.hosts = [remoteHost('10')];
    await sync.pullHosts(monitorId);
    const [host] = await hostsOf();
    const refusal = 'Monitor API error in host.delete: Invalid params. No permissions to referred object.';
    provider.failWrites = new MonitorRejectedObjectError(refusal, false);
    await expect(deletes.deleteHost(monitorId, host.id)).rejects.toMatchObject({ kind: 'unprocessable' });
    expect(await hostsOf()).toEqual([
      expect.objectContaining({ status: SyncStatus.Error, statusDescription: refusal }),
    ]);
    expect((await monitor()).status).toBe(SyncStatus.Active);
  });

  it('deletes an item on the monitor, then here', async () => {
    provider.hosts = [remoteHost('10')];
    provider.items = [remoteItem('100', '10'), remoteItem('101', '10')];
    await sync.pullHosts(monitorId);
    const [host] = await hostsOf();
    const item = await data.getRepository(Item).findOneByOrFail({ externalId: '100' });
    expect(await deletes.deleteItem(monitorId, host.id, item.id)).toMatchObject({ deleted: 1 });
    expect(provider.deleted).toEqual(['100']);
    expect((await data.getRepository(Item).find()).map((row) => row.externalId)).toEqual(['101']);
  });

  describe('groups and technical names (issue 22.5, 22.6)', () => {
    const linksOf = async (hostId: number) =>
      (await data.getRepository(HostGroupLink).find({ where: { hostId }, order: { position: 'ASC' } })).map(
        (link) => link.groupId,
      );
    const groupIdOf = async (externalId: string) =>
      (await data.getRepository(HostGroup).findOneByOrFail({ monitorId, externalId })).id;
    const inGroups = (externalId: string, groups: string[]): RemoteHost => ({
      ...remoteHost(externalId),
      groups: groups.map((id) => ({ externalId: id, name: `Group ${id}` })),
    });

    it('keeps every group of a pulled host in the monitor order, and counts a change of groups alone as updated', async () => {
      provider.hosts = [inGroups('10', ['2', '5']), inGroups('11', ['5'])];
      await sync.pullHosts(monitorId);
      const [first, second] = await hostsOf();
      const [g2, g5] = [await groupIdOf('2'), await groupIdOf('5')];
      expect(first).toMatchObject({ groupId: g2, technicalName: 'host-10' });
      expect(await linksOf(first.id)).toEqual([g2, g5]);
      expect(await linksOf(second.id)).toEqual([g5]);

      provider.hosts = [inGroups('10', ['2']), inGroups('11', ['5'])];
      expect(await sync.pullHosts(monitorId)).toMatchObject({ updated: 1, unchanged: 1, total: 2 });
      expect(await linksOf(first.id)).toEqual([g2]);
      expect(await sync.pullHosts(monitorId)).toMatchObject({ updated: 0, unchanged: 2 });
    });

    it('pushes every group of a host by name, and stores the technical name it derived', async () => {
      const [a, b] = await data.getRepository(HostGroup).save([{ name: 'A' }, { name: 'B' }]);
      const local = await data.getRepository(Host).save({ name: 'a/b', monitorId: null, groupId: b.id });
      await data.getRepository(HostGroupLink).save([
        { hostId: local.id, groupId: b.id, position: 0 },
        { hostId: local.id, groupId: a.id, position: 1 },
      ]);
      await sync.pushHost(monitorId, local.id);
      expect(provider.created).toEqual([expect.objectContaining({ technicalName: 'a_b', groupNames: ['B', 'A'] })]);
      expect(await data.getRepository(Host).findOneByOrFail({ id: local.id })).toMatchObject({ technicalName: 'a_b' });
    });

    it("refuses, before calling the monitor, a push whose technical name another host's has, naming both", async () => {
      const first = await data.getRepository(Host).save({ name: 'a/b', monitorId: null });
      const second = await data.getRepository(Host).save({ name: 'a_b', monitorId: null });
      await sync.pushHost(monitorId, first.id);
      const error = await sync.pushHost(monitorId, second.id).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TechnicalNameTakenError);
      expect(error).toMatchObject({
        final: true,
        message:
          `Host ${second.id} "a_b" cannot be pushed to monitor ${monitorId}: its technical name "a_b" is already ` +
          `taken by host ${first.id} "a/b". Give it another technical_name.`,
      });
      expect(provider.created).toHaveLength(1);
      expect((await monitor()).status).toBe(SyncStatus.Inactive);
    });

    it("names the monitor's host when the monitor refuses the technical name, by our id when we have it", async () => {
      provider.hosts = [remoteHost('10')];
      await sync.pullHosts(monitorId);
      const [pulled] = await hostsOf();
      // Renamed on the monitor since: the local check cannot see it, the monitor refuses.
      await data.getRepository(Host).update({ id: pulled.id }, { technicalName: 'old-name' });
      provider.createHost = async () => {
        throw new HostNameTakenError('taken', 'host-10', { externalId: '10', name: 'Host 10' });
      };
      const local = await data.getRepository(Host).save({ name: 'x', technicalName: 'host-10', monitorId: null });
      await expect(sync.pushHost(monitorId, local.id)).rejects.toThrow(
        `Host ${local.id} "x" cannot be pushed to monitor ${monitorId}: its technical name "host-10" is already ` +
          `taken by host ${pulled.id} "Host 10". Give it another technical_name.`,
      );
      provider.createHost = async () => {
        throw new HostNameTakenError('taken', 'host-10', { externalId: '99', name: 'Only there' });
      };
      await expect(sync.pushHost(monitorId, local.id)).rejects.toThrow(
        `taken by the monitor's host "Only there" (id 99 there)`,
      );
    });
  });

  it('pulls a big monitor a page of hosts at a time, and still marks the hosts that vanished on any page', async () => {
    const ids = Array.from({ length: 2_500 }, (_, i) => String(10_000 + i));
    provider.hosts = ids.map(remoteHost);
    provider.items = ids.map((id) => remoteItem(`9${id}`, id));
    const steps: [number, number][] = [];
    const first = await sync.pullHosts(monitorId, { progress: (done, total) => void steps.push([done, total]) });

    expect(first).toMatchObject({ added: 2_500, total: 2_500, items: { added: 2_500, total: 2_500 } });
    expect(provider.hostCalls.map((call) => call?.length)).toEqual([1_000, 1_000, 500]);
    expect(provider.itemCalls.every((call) => call.length <= 100)).toBe(true);
    expect(provider.itemCalls.flat()).toEqual(ids);
    expect(steps.at(-1)).toEqual([2_500, 2_500]);

    // One host gone from the first page, one from the last; every other row is unchanged.
    provider.hosts = provider.hosts.filter((host) => host.externalId !== '10005' && host.externalId !== '12499');
    provider.items = provider.items.filter((item) => item.externalHostId !== '10005');
    const second = await sync.pullHosts(monitorId);
    expect(second).toMatchObject({ added: 0, updated: 0, unchanged: 2_498, vanished: 2, total: 2_498 });
    expect(second.items).toMatchObject({ added: 0, updated: 0, unchanged: 2_498, vanished: 2, total: 2_498 });
    const gone = await data.getRepository(Host).findBy({ monitorId, status: SyncStatus.Error });
    expect(gone.map((host) => host.externalId).sort()).toEqual(['10005', '12499']);
  });

  it("sizes each item call by the hosts' item counts, a host with more than a call holds alone", async () => {
    // One host of 6,000 items, then 30 of 400: at most 5,000 items a call, so 12 of those hosts a call.
    const ids = Array.from({ length: 31 }, (_, i) => String(10_000 + i));
    provider.hosts = ids.map(remoteHost);
    provider.items = ids.flatMap((id, h) =>
      Array.from({ length: h === 0 ? 6_000 : 400 }, (_, i) => remoteItem(`${id}-${i}`, id)),
    );
    const result = await sync.pullHosts(monitorId);

    expect(result.items).toMatchObject({ added: 18_000, total: 18_000 });
    expect(provider.itemCalls.map((call) => call.length)).toEqual([1, 12, 12, 6]);
    expect(provider.itemCalls.flat()).toEqual(ids);
  });

  it('asks for the items of 100 hosts a call when the monitor gives no counts', async () => {
    const ids = Array.from({ length: 250 }, (_, i) => String(10_000 + i));
    provider.hosts = ids.map(remoteHost);
    provider.items = ids.map((id) => remoteItem(`9${id}`, id));
    provider.countsItems = false;
    const result = await sync.pullHosts(monitorId);

    expect(result.items).toMatchObject({ added: 250, total: 250 });
    expect(provider.itemCalls.map((call) => call.length)).toEqual([100, 100, 50]);
  });
});
