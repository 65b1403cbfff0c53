import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { Injectable } from '@nestjs/common';
import {
  type EntityManager,
  type EntityTarget,
  In,
  IsNull,
  Not,
  type ObjectLiteral,
  type QueryDeepPartialEntity,
} from 'typeorm';
import { Transactions } from '../../database/transactions';
import { HostGroup } from '../entities/host-group.entity';
import { Host } from '../entities/host.entity';
import { Item } from '../entities/item.entity';
import { SyncStatus } from '../entities/sync-status';
import type { RemoteGroup, RemoteHost, RemoteItem } from '../providers/monitor-provider';
import { chunks } from './chunks';
import { emptyCounts, type SyncCounts } from './sync-result';

/** Rows per INSERT … ON CONFLICT: well under SQLite's and PostgreSQL's bound-parameter limits. */
const WRITE_BATCH = 500;

export const HOST_VANISHED = 'host not found on monitor';
export const ITEM_VANISHED = 'item not found on monitor';

/**
 * Writes what a monitor reported into the inventory: upserts keyed by (monitor, external hostid) and
 * (host, external itemid), in batched transactions. Running the same pull twice adds nothing the second time;
 * what vanished from the monitor is kept with status 2 and a reason, never deleted.
 */
@Injectable()
export class InventoryWriter {
  constructor(private readonly transactions: Transactions) {}

  /** Creates the monitor's groups that are new, renames those that changed; returns external id → local id. */
  async upsertGroups(monitorId: number, remote: RemoteGroup[]): Promise<Map<string, number>> {
    const distinct = [...new Map(remote.map((group) => [group.externalId, group])).values()];
    return this.transactions.run(async (manager) => {
      for (const batch of chunks(distinct, WRITE_BATCH)) {
        await manager
          .createQueryBuilder()
          .insert()
          .into(HostGroup)
          .values(batch.map((group) => ({ monitorId, externalId: group.externalId, name: group.name })))
          .orUpdate(['name'], ['monitor_id', 'external_id'])
          .updateEntity(false)
          .execute();
      }
      const groups = await manager.find(HostGroup, { where: { monitorId }, select: { id: true, externalId: true } });
      return new Map(groups.map((group) => [group.externalId as string, group.id]));
    });
  }

  /** Upserts the reported hosts; with `complete`, the monitor's other hosts are marked vanished. */
  async upsertHosts(
    monitorId: number,
    remote: RemoteHost[],
    groupIds: Map<string, number>,
    options: { complete: boolean; syncedAt: Date },
  ): Promise<SyncCounts> {
    const counts = emptyCounts();
    counts.total = remote.length;
    await this.transactions.run(async (manager) => {
      const known = await this.externalIdsOf(manager, Host, { monitorId });
      for (const batch of chunks(remote, WRITE_BATCH)) {
        const rows = batch.map((host) => ({
          monitorId,
          externalId: host.externalId,
          name: host.name,
          description: host.description,
          ipAddr: host.ipAddr,
          enabled: host.enabled,
          groupId: host.groups.length > 0 ? (groupIds.get(host.groups[0].externalId) ?? null) : null,
          status: SyncStatus.Active,
          statusDescription: '',
          lastSyncAt: options.syncedAt,
          // Explicit: TypeORM leaves updated_at out of a SQLite upsert but sets it on PostgreSQL.
          updatedAt: options.syncedAt,
        }));
        await upsert(manager, Host, rows, ['monitorId', 'externalId']);
        for (const host of batch) counts[known.has(host.externalId) ? 'updated' : 'added'] += 1;
      }
      if (options.complete) {
        const present = new Set(remote.map((host) => host.externalId));
        const vanished = [...known.keys()].filter((externalId) => !present.has(externalId));
        if (vanished.length > 0) {
          await this.markVanished(manager, Host, 'monitorId', monitorId, vanished, HOST_VANISHED);
          await this.markItemsOfVanishedHosts(
            manager,
            vanished.map((externalId) => known.get(externalId) as number),
          );
        }
      }
    });
    return counts;
  }

  /** One host the monitor no longer has: status 2 with the reason, and its synced items likewise. */
  async markHostVanished(hostId: number): Promise<void> {
    await this.transactions.run(async (manager) => {
      await manager.update(Host, { id: hostId }, { status: SyncStatus.Error, statusDescription: HOST_VANISHED });
      await this.markItemsOfVanishedHosts(manager, [hostId]);
    });
  }

  /**
   * Upserts the items reported for these hosts (local host id → its external id); with `complete`, the hosts'
   * other synced items are marked vanished.
   */
  async upsertItems(
    hosts: Map<string, number>,
    remote: RemoteItem[],
    options: { complete: boolean; syncedAt: Date },
  ): Promise<SyncCounts> {
    const counts = emptyCounts();
    const hostIds = [...hosts.values()];
    await this.transactions.run(async (manager) => {
      const known = new Map<number, Set<string>>(hostIds.map((hostId) => [hostId, new Set<string>()]));
      for (const batch of chunks(hostIds, WRITE_BATCH)) {
        const rows = await manager.find(Item, {
          where: { hostId: In(batch), externalId: Not(IsNull()) },
          select: { hostId: true, externalId: true },
        });
        for (const row of rows) known.get(row.hostId)?.add(row.externalId as string);
      }
      const present = new Map<number, Set<string>>(hostIds.map((hostId) => [hostId, new Set<string>()]));
      const rows = remote.flatMap((item) => {
        const hostId = hosts.get(item.externalHostId);
        if (hostId === undefined) return [];
        counts.total += 1;
        counts[known.get(hostId)?.has(item.externalId) ? 'updated' : 'added'] += 1;
        present.get(hostId)?.add(item.externalId);
        return [
          {
            hostId,
            externalId: item.externalId,
            externalHostId: item.externalHostId,
            name: item.name,
            key: item.key,
            valueType: item.valueType,
            lastValue: item.lastValue,
            units: item.units,
            enabled: item.enabled,
            status: SyncStatus.Active,
            statusDescription: '',
            lastSyncAt: options.syncedAt,
            // Explicit: TypeORM leaves updated_at out of a SQLite upsert but sets it on PostgreSQL.
            updatedAt: options.syncedAt,
          },
        ];
      });
      for (const batch of chunks(rows, WRITE_BATCH)) {
        await upsert(manager, Item, batch, ['hostId', 'externalId']);
      }
      if (options.complete) {
        for (const [hostId, externalIds] of known) {
          const seen = present.get(hostId);
          const vanished = [...externalIds].filter((externalId) => !seen?.has(externalId));
          if (vanished.length > 0) await this.markVanished(manager, Item, 'hostId', hostId, vanished, ITEM_VANISHED);
        }
      }
    });
    return counts;
  }

  private async externalIdsOf(
    manager: EntityManager,
    entity: typeof Host,
    where: { monitorId: number },
  ): Promise<Map<string, number>> {
    const rows = await manager.find(entity, {
      where: { ...where, externalId: Not(IsNull()) },
      select: { id: true, externalId: true },
    });
    return new Map(rows.map((row) => [row.externalId as string, row.id]));
  }

  /** A host that vanished took its items with it: those it had on the monitor are marked vanished too. */
  private async markItemsOfVanishedHosts(manager: EntityManager, hostIds: number[]): Promise<void> {
    for (const batch of chunks(hostIds, WRITE_BATCH)) {
      await manager.update(
        Item,
        { hostId: In(batch), externalId: Not(IsNull()) },
        { status: SyncStatus.Error, statusDescription: ITEM_VANISHED },
      );
    }
  }

  private async markVanished(
    manager: EntityManager,
    entity: typeof Host | typeof Item,
    ownerColumn: 'monitorId' | 'hostId',
    ownerId: number,
    externalIds: string[],
    reason: string,
  ): Promise<void> {
    for (const batch of chunks(externalIds, WRITE_BATCH)) {
      await manager.update(
        entity,
        { [ownerColumn]: ownerId, externalId: In(batch) },
        { status: SyncStatus.Error, statusDescription: reason },
      );
    }
  }
}

/**
 * INSERT … ON CONFLICT DO UPDATE of these rows, as `manager.upsert` writes it, built here rather than by TypeORM's
 * query builder. The builder reads no ids back (TypeORM guesses them from last_insert_rowid() on SQLite, wrongly for
 * updated rows, and the upsert then fails with "Cannot update entity because entity id is not set in the entity";
 * nothing here needs them), and it spent most of a sync's CPU assembling parameters: a 500-row batch of items took
 * longer to build than to run, and on SQLite, whose driver runs statements synchronously, that held the event loop.
 * Values go through the driver's own conversion (dates, booleans), so they are stored exactly as TypeORM stores them.
 * After each statement the event loop gets a turn, so health checks and API requests are answered during a big sync.
 */
async function upsert<T extends ObjectLiteral>(
  manager: EntityManager,
  entity: EntityTarget<T>,
  rows: QueryDeepPartialEntity<T>[],
  conflictPaths: string[],
): Promise<void> {
  if (rows.length === 0) return;
  const metadata = manager.dataSource.getMetadata(entity);
  const driver = manager.dataSource.driver;
  const conflict = metadata.mapPropertyPathsToColumns(conflictPaths);
  const columns = metadata.columns.filter(
    (column) =>
      !column.generatedType &&
      column.isInsert !== false &&
      rows.some((row) => column.getEntityValue(row) !== undefined),
  );
  const overwrite = columns.filter((column) => !conflict.includes(column) && column.isUpdate !== false);
  const postgres = driver.options.type === 'postgres';
  const quote = (name: string) => `"${name}"`;
  const parameters: unknown[] = [];
  const tuples = rows.map((row) => {
    const placeholders = columns.map((column) => {
      const value = column.getEntityValue(row);
      parameters.push(value === undefined ? null : driver.preparePersistentValue(value, column));
      return postgres ? `$${parameters.length}` : '?';
    });
    return `(${placeholders.join(', ')})`;
  });
  const updates = [...conflict, ...overwrite].map(
    (column) => `${quote(column.databaseName)} = EXCLUDED.${quote(column.databaseName)}`,
  );
  const sql =
    `INSERT INTO ${quote(metadata.tableName)} (${columns.map((column) => quote(column.databaseName)).join(', ')}) ` +
    `VALUES ${tuples.join(', ')} ` +
    `ON CONFLICT (${conflict.map((column) => quote(column.databaseName)).join(', ')}) DO UPDATE SET ${updates.join(', ')}`;
  await manager.query(sql, parameters);
  await yieldToEventLoop();
}
