import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../database/data-source-options';
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
    enabled: true,
    lastClock: null,
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
    return writer.upsertHosts(monitorId, hosts, groupIds, { complete: true, syncedAt: new Date() });
  }

  const localHost = (monitorId: number, externalId: string) =>
    data.getRepository(Host).findOneByOrFail({ monitorId, externalId });

  beforeEach(async () => {
    data = new DataSource(dataSourceOptions({ kind: 'sqlite', path: ':memory:' }));
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

    await expect(pullItems()).resolves.toEqual({ added: 0, updated: 3, failed: 0, total: 3 });
    const renamed = hosts.map((host) => ({ ...host, name: `${host.name} renamed` }));
    await expect(pullHosts(first.id, renamed)).resolves.toEqual({ added: 0, updated: 3, failed: 0, total: 3 });
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
});
