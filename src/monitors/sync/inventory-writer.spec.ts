import { DataSource } from 'typeorm';
import { cliDataSourceOptions } from '../../cli-data-source';
import { runMigrations } from '../../database/run-migrations';
import { Transactions } from '../../database/transactions';
import { Host } from '../entities/host.entity';
import { Item } from '../entities/item.entity';
import { Monitor } from '../entities/monitor.entity';
import { SyncStatus } from '../entities/sync-status';
import type { RemoteHost, RemoteItem } from '../providers/monitor-provider';
import { HOST_VANISHED, InventoryWriter, ITEM_VANISHED } from './inventory-writer';

/** The writer on a real (in-memory) SQLite database, migrated as the service migrates it. */
describe(InventoryWriter.name, () => {
  let data: DataSource;
  let writer: InventoryWriter;
  let monitorCount = 0;

  const remoteHost = (externalId: string, overrides: Partial<RemoteHost> = {}): RemoteHost => ({
    externalId,
    host: `host-${externalId}`,
    name: `Host ${externalId}`,
    description: '',
    enabled: true,
    ipAddr: '192.0.2.1',
    groups: [{ externalId: '2', name: 'Linux servers' }],
    ...overrides,
  });

  const remoteItem = (externalId: string, externalHostId: string): RemoteItem => ({
    externalId,
    externalHostId,
    name: `Item ${externalId}`,
    key: `key.${externalId}`,
    valueType: 0,
    lastValue: null,
    units: '',
    description: '',
    enabled: true,
    lastClock: null,
    state: 'normal',
    stateError: '',
  });

  const newMonitor = () =>
    data.getRepository(Monitor).save({
      name: `monitor-${++monitorCount}`,
      url: 'http://zabbix.example.test',
      type: 'zabbix',
      username: 'Admin',
      passwordEncrypted: 'sealed',
    });

  async function pullHosts(monitorId: number, hosts: RemoteHost[]) {
    const groupIds = await writer.upsertGroups(
      monitorId,
      hosts.flatMap((host) => host.groups),
    );
    const { hosts: counts } = await writer.upsertHosts(monitorId, hosts, groupIds, { syncedAt: new Date() });
    const vanished = await writer.markHostsVanishedExcept(monitorId, new Set(hosts.map((host) => host.externalId)));
    return { ...counts, vanished: vanished.hosts };
  }

  const localHost = (monitorId: number, externalId: string) =>
    data.getRepository(Host).findOneByOrFail({ monitorId, externalId });

  beforeEach(async () => {
    data = new DataSource(cliDataSourceOptions({ kind: 'sqlite', path: ':memory:' }));
    await data.initialize();
    await runMigrations(data);
    writer = new InventoryWriter(new Transactions(data));
  });
  afterEach(() => data.destroy());

  it('updates hosts and items that are already there after another table had the last insert', async () => {
    // SQLite's last_insert_rowid() is then smaller than the batch: TypeORM's id guessing used to fail here.
    const first = await newMonitor();
    const hosts = ['101', '102', '103'].map((id) => remoteHost(id));
    await pullHosts(first.id, hosts);
    const local = await localHost(first.id, '101');
    const items = ['9001', '9002', '9003'].map((id) => remoteItem(id, '101'));
    const pullItems = () =>
      writer.upsertItems(new Map([['101', local.id]]), items, { complete: true, syncedAt: new Date() });
    await pullItems();
    await newMonitor();

    const changedItems = items.map((item) => ({ ...item, lastValue: '2' }));
    await expect(
      writer.upsertItems(new Map([['101', local.id]]), changedItems, { complete: true, syncedAt: new Date() }),
    ).resolves.toMatchObject({ added: 0, updated: 3, unchanged: 0, total: 3 });
    const renamed = hosts.map((host) => ({ ...host, name: `${host.name} renamed` }));
    await expect(pullHosts(first.id, renamed)).resolves.toMatchObject({ added: 0, updated: 3, total: 3 });
    expect((await localHost(first.id, '102')).name).toBe('Host 102 renamed');
    expect(await data.getRepository(Host).countBy({ monitorId: first.id })).toBe(3);
  });

  it('marks a vanished host and the items it had on the monitor with status 2, deleting nothing', async () => {
    const monitor = await newMonitor();
    await pullHosts(monitor.id, [remoteHost('201'), remoteHost('202')]);
    const gone = await localHost(monitor.id, '201');
    await writer.upsertItems(new Map([['201', gone.id]]), [remoteItem('9101', '201')], {
      complete: true,
      syncedAt: new Date(),
    });
    // A local item never pushed was not on the monitor: it has not vanished from it.
    const unpushed = await data.getRepository(Item).save({
      hostId: gone.id,
      name: 'local',
      key: 'local.key',
      status: SyncStatus.Inactive,
    });

    await pullHosts(monitor.id, [remoteHost('202')]);

    expect(await localHost(monitor.id, '201')).toMatchObject({
      status: SyncStatus.Error,
      statusDescription: HOST_VANISHED,
    });
    expect(await data.getRepository(Item).findOneByOrFail({ externalId: '9101' })).toMatchObject({
      status: SyncStatus.Error,
      statusDescription: ITEM_VANISHED,
    });
    expect((await data.getRepository(Item).findOneByOrFail({ id: unpushed.id })).status).toBe(SyncStatus.Inactive);
    expect((await localHost(monitor.id, '202')).status).toBe(SyncStatus.Active);
  });

  it('marks one host found vanished on its own pull, with its synced items', async () => {
    const monitor = await newMonitor();
    await pullHosts(monitor.id, [remoteHost('301')]);
    const host = await localHost(monitor.id, '301');
    await writer.upsertItems(new Map([['301', host.id]]), [remoteItem('9201', '301')], {
      complete: true,
      syncedAt: new Date(),
    });

    await writer.markHostVanished(host.id);

    expect(await localHost(monitor.id, '301')).toMatchObject({
      status: SyncStatus.Error,
      statusDescription: HOST_VANISHED,
    });
    expect((await data.getRepository(Item).findOneByOrFail({ externalId: '9201' })).statusDescription).toBe(
      ITEM_VANISHED,
    );
  });

  it('rewrites only what changed: an item of equal fields keeps its last_sync_at and counts unchanged', async () => {
    const monitor = await newMonitor();
    await pullHosts(monitor.id, [remoteHost('401')]);
    const host = await localHost(monitor.id, '401');
    const hosts = new Map([['401', host.id]]);
    const firstSync = new Date('2026-01-01T00:00:00.000Z');
    const laterSync = new Date('2026-01-02T00:00:00.000Z');
    const items = [remoteItem('9401', '401'), remoteItem('9402', '401')];
    await writer.upsertItems(hosts, items, { complete: true, syncedAt: firstSync });

    const clock = new Date('2026-01-01T12:00:00.000Z');
    const next = [{ ...items[0], lastValue: '7', lastClock: clock }, items[1]];
    await expect(writer.upsertItems(hosts, next, { complete: true, syncedAt: laterSync })).resolves.toEqual({
      added: 0,
      updated: 1,
      unchanged: 1,
      vanished: 0,
      failed: 0,
      total: 2,
      unsupported: 0,
    });
    const stored = await data.getRepository(Item).find({ where: { hostId: host.id }, order: { externalId: 'ASC' } });
    expect(stored.map(({ lastValue, lastClock, lastSyncAt }) => ({ lastValue, lastClock, lastSyncAt }))).toEqual([
      { lastValue: '7', lastClock: clock, lastSyncAt: laterSync },
      { lastValue: null, lastClock: null, lastSyncAt: firstSync },
    ]);
  });

  it('rewrites an item whose only change on the monitor is its description', async () => {
    const monitor = await newMonitor();
    await pullHosts(monitor.id, [remoteHost('431')]);
    const host = await localHost(monitor.id, '431');
    const hosts = new Map([['431', host.id]]);
    const item = remoteItem('9431', '431');
    await writer.upsertItems(hosts, [item], { complete: true, syncedAt: new Date('2026-01-01T00:00:00.000Z') });

    const described = { ...item, description: 'Free space on /' };
    await expect(
      writer.upsertItems(hosts, [described], { complete: true, syncedAt: new Date('2026-01-02T00:00:00.000Z') }),
    ).resolves.toMatchObject({ updated: 1, unchanged: 0 });
    const stored = await data.getRepository(Item).findOneByOrFail({ hostId: host.id, externalId: '9431' });
    expect(stored.description).toBe('Free space on /');
  });

  it('restores an item someone else changed since the last pull, though the monitor reports it as before', async () => {
    const monitor = await newMonitor();
    await pullHosts(monitor.id, [remoteHost('451')]);
    const host = await localHost(monitor.id, '451');
    const hosts = new Map([['451', host.id]]);
    const items = [remoteItem('9451', '451'), remoteItem('9452', '451')];
    await writer.upsertItems(hosts, items, { complete: true, syncedAt: new Date() });
    const [critical, renamed] = await data
      .getRepository(Item)
      .find({ where: { hostId: host.id }, order: { id: 'ASC' } });
    await data.transaction((manager) =>
      writer.markCritical(manager, [{ hostId: host.id, itemId: critical.id, message: 'disk full' }]),
    );
    await writer.saveItem({ ...renamed, name: 'renamed here' });

    const again = await writer.upsertItems(hosts, items, { complete: true, syncedAt: new Date() });
    expect(again).toMatchObject({ added: 0, updated: 2, unchanged: 0, total: 2 });
    const stored = await data.getRepository(Item).find({ where: { hostId: host.id }, order: { id: 'ASC' } });
    expect(stored.map(({ name, status, statusDescription }) => ({ name, status, statusDescription }))).toEqual([
      { name: 'Item 9451', status: SyncStatus.Active, statusDescription: '' },
      { name: 'Item 9452', status: SyncStatus.Active, statusDescription: '' },
    ]);
    await expect(writer.upsertItems(hosts, items, { complete: true, syncedAt: new Date() })).resolves.toMatchObject({
      updated: 0,
      unchanged: 2,
    });
  });

  it('stores the state and error of an unsupported item, and counts a change of state as an update', async () => {
    const monitor = await newMonitor();
    await pullHosts(monitor.id, [remoteHost('501')]);
    const hosts = new Map([['501', (await localHost(monitor.id, '501')).id]]);
    const item = remoteItem('9501', '501');
    await writer.upsertItems(hosts, [item], { complete: true, syncedAt: new Date() });

    const unsupported = { ...item, state: 'not_supported' as const, stateError: 'Value "n/a" is not suitable' };
    await expect(
      writer.upsertItems(hosts, [unsupported], { complete: true, syncedAt: new Date() }),
    ).resolves.toMatchObject({ updated: 1, unchanged: 0, unsupported: 1 });
    expect(await data.getRepository(Item).findOneByOrFail({ externalId: '9501' })).toMatchObject({
      state: 'not_supported',
      stateError: 'Value "n/a" is not suitable',
    });
  });

  it('counts a host or item as vanished in the pull it disappeared in, not in the pulls after', async () => {
    const monitor = await newMonitor();
    await pullHosts(monitor.id, [remoteHost('601'), remoteHost('602')]);
    const hosts = new Map([['601', (await localHost(monitor.id, '601')).id]]);
    await writer.upsertItems(hosts, [remoteItem('9601', '601'), remoteItem('9602', '601')], {
      complete: true,
      syncedAt: new Date(),
    });
    const pullItems = () =>
      writer.upsertItems(hosts, [remoteItem('9601', '601')], { complete: true, syncedAt: new Date() });

    await expect(pullItems()).resolves.toMatchObject({ vanished: 1, unchanged: 1, total: 1 });
    await expect(pullItems()).resolves.toMatchObject({ vanished: 0, unchanged: 1, total: 1 });
    await expect(pullHosts(monitor.id, [remoteHost('601')])).resolves.toMatchObject({ vanished: 1, total: 1 });
    await expect(pullHosts(monitor.id, [remoteHost('601')])).resolves.toMatchObject({ vanished: 0, total: 1 });
  });
});
