import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { Injectable } from '@nestjs/common';
import {
  type EntityManager,
  type EntityMetadata,
  type EntityTarget,
  In,
  IsNull,
  Not,
  type ObjectLiteral,
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
        const rows = batch.map((host): unknown[] => [
          monitorId,
          host.externalId,
          host.name,
          host.description,
          host.ipAddr,
          host.enabled,
          host.groups.length > 0 ? (groupIds.get(host.groups[0].externalId) ?? null) : null,
          SyncStatus.Active,
          '',
          options.syncedAt,
          // Explicit: TypeORM leaves updated_at out of a SQLite upsert but sets it on PostgreSQL.
          options.syncedAt,
        ]);
        await upsert(manager, Host, HOST_FIELDS, rows, ['monitorId', 'externalId']);
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
        for (const row of await syncedItemsOf(manager, batch)) known.get(row.hostId)?.add(row.externalId);
      }
      const present = new Map<number, Set<string>>(hostIds.map((hostId) => [hostId, new Set<string>()]));
      const rows: unknown[][] = [];
      for (const item of remote) {
        const hostId = hosts.get(item.externalHostId);
        if (hostId === undefined) continue;
        counts.total += 1;
        counts[known.get(hostId)?.has(item.externalId) ? 'updated' : 'added'] += 1;
        present.get(hostId)?.add(item.externalId);
        rows.push([
          hostId,
          item.externalId,
          item.externalHostId,
          item.name,
          item.key,
          item.valueType,
          item.lastValue,
          item.units,
          item.enabled,
          SyncStatus.Active,
          '',
          options.syncedAt,
          // Explicit: TypeORM leaves updated_at out of a SQLite upsert but sets it on PostgreSQL.
          options.syncedAt,
        ]);
      }
      for (const batch of chunks(rows, WRITE_BATCH)) {
        await upsert(manager, Item, ITEM_FIELDS, batch, ['hostId', 'externalId']);
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

  /** External id → local id of the monitor's hosts that have an external id. */
  hostIds(monitorId: number): Promise<Map<string, number>> {
    return this.transactions.single((manager) => this.externalIdsOf(manager, Host, { monitorId }));
  }

  /** In plain SQL: TypeORM's find spent several times longer building the query and the entities than SQLite ran. */
  private async externalIdsOf(
    manager: EntityManager,
    entity: typeof Host,
    where: { monitorId: number },
  ): Promise<Map<string, number>> {
    const metadata = manager.dataSource.getMetadata(entity);
    const column = (property: string) => `"${columnName(metadata, property)}"`;
    const placeholder = marker(manager.dataSource.driver.options.type === 'postgres', 1);
    const rows = (await manager.query(
      `SELECT ${column('id')} AS "id", ${column('externalId')} AS "externalId" FROM "${metadata.tableName}" ` +
        `WHERE ${column('monitorId')} = ${placeholder} AND ${column('externalId')} IS NOT NULL`,
      [where.monitorId],
    )) as { id: number | string; externalId: string }[];
    return new Map(rows.map((row) => [row.externalId, Number(row.id)]));
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

/** What upsertHosts writes of a host, in the order of its rows' values. */
const HOST_FIELDS = [
  'monitorId',
  'externalId',
  'name',
  'description',
  'ipAddr',
  'enabled',
  'groupId',
  'status',
  'statusDescription',
  'lastSyncAt',
  'updatedAt',
] as const;

/** What upsertItems writes of an item, in the order of its rows' values. */
const ITEM_FIELDS = [
  'hostId',
  'externalId',
  'externalHostId',
  'name',
  'key',
  'valueType',
  'lastValue',
  'units',
  'enabled',
  'status',
  'statusDescription',
  'lastSyncAt',
  'updatedAt',
] as const;

/**
 * INSERT … ON CONFLICT DO UPDATE of these rows (each the values of `fields`, in that order), as `manager.upsert`
 * writes it, built here rather than by TypeORM's query builder. The builder reads no ids back (TypeORM guesses
 * them from last_insert_rowid() on SQLite, wrongly for updated rows, and the upsert then fails with "Cannot update
 * entity because entity id is not set in the entity"; nothing here needs them), and it spent most of a sync's CPU
 * assembling parameters: a 500-row batch of items took longer to build than to run, and on SQLite, whose driver
 * runs statements synchronously, that held the event loop. Rows are arrays rather than entity-like objects, which
 * made reading them back by property name a tenth of a sync's CPU. Values go through the driver's own conversion
 * (dates, booleans), so they are stored exactly as TypeORM stores them. The SQL text of a full batch is made once.
 * After each statement the event loop gets a turn, so health checks and API requests are answered during a big sync.
 */
async function upsert<T extends ObjectLiteral>(
  manager: EntityManager,
  entity: EntityTarget<T>,
  fields: readonly (keyof T & string)[],
  rows: unknown[][],
  conflictPaths: (keyof T & string)[],
): Promise<void> {
  if (rows.length === 0) return;
  const metadata = manager.dataSource.getMetadata(entity);
  const driver = manager.dataSource.driver;
  const postgres = driver.options.type === 'postgres';
  const columns = fields.map((field) => columnOf(metadata, field));
  // The driver's conversion of the value a column had in the row before: rows of one batch share most of their
  // values (the sync time, the status), and converting a date is the costly part. Same value, same result.
  const width = columns.length;
  const lastValue: unknown[] = new Array(width);
  const lastConverted: unknown[] = new Array(width);
  const converted: boolean[] = new Array(width).fill(false);
  const parameters: unknown[] = new Array(rows.length * width);
  let index = 0;
  for (const row of rows) {
    for (let c = 0; c < width; c++) {
      const value = row[c];
      if (!converted[c] || lastValue[c] !== value) {
        lastValue[c] = value;
        lastConverted[c] = value === undefined ? null : driver.preparePersistentValue(value, columns[c]);
        converted[c] = true;
      }
      parameters[index++] = lastConverted[c];
    }
  }
  const key = `${metadata.tableName}\n${fields.join(',')}\n${conflictPaths.join(',')}\n${rows.length}\n${postgres}`;
  let sql = upsertStatements.get(key);
  if (sql === undefined) {
    const quote = (name: string) => `"${name}"`;
    const conflict = metadata.mapPropertyPathsToColumns(conflictPaths);
    const overwrite = columns.filter((column) => !conflict.includes(column) && column.isUpdate !== false);
    const updates = [...conflict, ...overwrite].map(
      (column) => `${quote(column.databaseName)} = EXCLUDED.${quote(column.databaseName)}`,
    );
    sql =
      `INSERT INTO ${quote(metadata.tableName)} (${columns.map((column) => quote(column.databaseName)).join(', ')}) ` +
      `VALUES ${tuples(rows.length, width, postgres)} ` +
      `ON CONFLICT (${conflict.map((column) => quote(column.databaseName)).join(', ')}) DO UPDATE SET ${updates.join(', ')}`;
    if (upsertStatements.size >= UPSERT_STATEMENTS_KEPT) upsertStatements.clear();
    upsertStatements.set(key, sql);
  }
  await manager.query(sql, parameters);
  await yieldToEventLoop();
}

/** The SQL text of recent upserts by table, columns and row count: full batches repeat the same text. */
const upsertStatements = new Map<string, string>();
const UPSERT_STATEMENTS_KEPT = 32;

/** `(?, ?), (?, ?)` for SQLite, `($1, $2), ($3, $4)` for PostgreSQL: the VALUES of `rows` rows of `width` values. */
function tuples(rows: number, width: number, postgres: boolean): string {
  let n = 0;
  const tuple = () => `(${Array.from({ length: width }, () => marker(postgres, ++n)).join(', ')})`;
  return Array.from({ length: rows }, tuple).join(', ');
}

/**
 * (host id, external id) of the items these hosts have on their monitor, in plain SQL: TypeORM's find spent more
 * time building this query and its entities than the database took to answer it.
 */
async function syncedItemsOf(
  manager: EntityManager,
  hostIds: number[],
): Promise<{ hostId: number; externalId: string }[]> {
  if (hostIds.length === 0) return [];
  const metadata = manager.dataSource.getMetadata(Item);
  const column = (property: string) => `"${columnName(metadata, property)}"`;
  const postgres = manager.dataSource.driver.options.type === 'postgres';
  const placeholders = hostIds.map((_, i) => marker(postgres, i + 1)).join(', ');
  const rows = (await manager.query(
    `SELECT ${column('hostId')} AS "hostId", ${column('externalId')} AS "externalId" FROM "${metadata.tableName}" ` +
      `WHERE ${column('hostId')} IN (${placeholders}) AND ${column('externalId')} IS NOT NULL`,
    hostIds,
  )) as { hostId: number | string; externalId: string }[];
  return rows.map((row) => ({ hostId: Number(row.hostId), externalId: row.externalId }));
}

function columnOf(metadata: EntityMetadata, property: string) {
  const column = metadata.findColumnWithPropertyName(property);
  if (!column) throw new Error(`${metadata.name} has no column ${property}`);
  return column;
}

function columnName(metadata: EntityMetadata, property: string): string {
  return columnOf(metadata, property).databaseName;
}

/** The n-th (from 1) bound parameter's marker: `$n` on PostgreSQL, `?` on SQLite. */
function marker(postgres: boolean, n: number): string {
  return postgres ? `$${n}` : '?';
}
