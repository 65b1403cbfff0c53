import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { BULK_BATCH, bulkBatchOf, bulkUpsert, bulkUpsertReturning, type Row } from '../../database/bulk-write';
import { Transactions } from '../../database/transactions';
import { HostGroup } from '../entities/host-group.entity';
import { Host } from '../entities/host.entity';
import { Item } from '../entities/item.entity';
import { Monitor } from '../entities/monitor.entity';
import { SyncStatus } from '../entities/sync-status';
import type { RemoteGroup, RemoteHost, RemoteItem } from '../providers/monitor-provider';
import { chunks } from './chunks';
import { markCritical } from './critical-marks';
import { groupIdsOf, linkPulledGroups, setHostGroups } from './host-groups-writer';
import { hostIdsOf, hostPage, readSyncedItems } from './inventory-reads';
import { HOST_UPSERTS, hostRow, ITEM_UPSERTS, itemRow } from './inventory-tables';
import { itemChanges, type StoredItems, vanishedItems } from './item-changes';
import { analyzeInventory, analyzesAfter } from './planner-statistics';
import { emptyCounts, type ItemSyncCounts, type SyncCounts } from './sync-result';
import {
  HOST_VANISHED,
  ITEM_VANISHED,
  markItemsOfVanishedHosts,
  markOneVanished,
  markVanished,
} from './vanished-writer';

export { HOST_VANISHED, ITEM_VANISHED } from './vanished-writer';

/** Upserted hosts' counts, their local ids by external id, and the ids of those the upsert inserted. */
export interface HostUpsert {
  hosts: SyncCounts;
  ids: Map<string, number>;
  /** Hosts new to the inventory: they have no items yet. */
  fresh: ReadonlySet<number>;
}

/** An alert that puts its host (and item) in error. */
export interface CriticalMark {
  hostId: number;
  itemId: number | null;
  message: string;
}

/**
 * The one writer of the inventory: hosts, items, host groups and a monitor's sync status, whoever changes them
 * (the API, a sync, the alert generator), every write through Transactions. A pull upserts keyed by (monitor,
 * external hostid) and (host, external itemid), in batched transactions: running the same pull twice adds nothing
 * the second time and rewrites only the rows whose stored fields changed; what vanished from the monitor is kept
 * with status 2 and a reason, never deleted.
 */
@Injectable()
export class InventoryWriter {
  private readonly logger = new Logger(InventoryWriter.name);

  constructor(private readonly transactions: Transactions) {}

  /** Saves the host and, when `groupIds` is given, makes those its groups (the first one is its `groupId`). */
  saveHost(host: Host, groupIds?: number[]): Promise<Host> {
    return this.transactions.run(async (manager) => {
      const saved = await manager.save(Host, host);
      if (groupIds) await setHostGroups(manager, new Map([[saved.id, groupIds]]));
      return saved;
    });
  }

  /**
   * After a pull that added many hosts or items: their tables' planner statistics, refreshed (planner-statistics.ts).
   * Answers whether it did; a failure (a role that may not ANALYZE, a lock held too long) is logged, not thrown.
   */
  async refreshStatistics(added: { hosts: number; items: number }): Promise<boolean> {
    if (!analyzesAfter(this.transactions.databaseType, added)) return false;
    try {
      await this.transactions.run(analyzeInventory);
      return true;
    } catch (error) {
      this.logger.warn({ msg: 'could not refresh the inventory tables statistics', reason: (error as Error).message });
      return false;
    }
  }

  /** Item batches a pull may write at once: PostgreSQL stores each on its own connection; SQLite one by one. */
  itemWritesAtOnce(): number {
    return this.transactions.databaseType === 'postgres' ? 2 : 1;
  }

  /** The group ids of each host, in order; a host in no group is missing from the map. */
  groupIdsOf(hostIds: number[]): Promise<Map<number, number[]>> {
    return this.transactions.single((manager) => groupIdsOf(manager, hostIds));
  }

  async deleteHost(id: number): Promise<void> {
    await this.transactions.single((manager) => manager.delete(Host, { id }));
  }

  saveItem(item: Item): Promise<Item> {
    return this.transactions.run((manager) => manager.save(Item, item));
  }

  async deleteItem(id: number): Promise<void> {
    await this.transactions.single((manager) => manager.delete(Item, { id }));
  }

  async setMonitorStatus(id: number, status: SyncStatus, description: string, syncedAt?: Date): Promise<void> {
    const changes: Partial<Monitor> = { status, statusDescription: description.slice(0, 1024) };
    if (syncedAt) changes.lastSyncAt = syncedAt;
    await this.transactions.single((manager) => manager.update(Monitor, { id }, changes));
    if (status === SyncStatus.Error || status === SyncStatus.AuthFailed)
      this.logger.warn({ msg: 'monitor in error', monitor_id: id, reason: description });
  }

  /** Within the caller's transaction (the monitor's removal): its hosts and groups stay, as local ones. */
  async detachFromMonitor(manager: EntityManager, monitorId: number): Promise<void> {
    await manager.update(Host, { monitorId }, { monitorId: null, externalId: null });
    await manager.update(HostGroup, { monitorId }, { monitorId: null, externalId: null });
  }

  /**
   * Within the caller's transaction (the alerts that name them): each host and item in error with
   * "Critical alert: <message>", the last alert on one naming the reason.
   */
  async markCritical(manager: EntityManager, marks: CriticalMark[]): Promise<void> {
    await markCritical(manager, Host, new Map(marks.map((mark) => [mark.hostId, mark.message])));
    await markCritical(
      manager,
      Item,
      new Map(marks.flatMap((mark) => (mark.itemId === null ? [] : [[mark.itemId, mark.message]]))),
    );
  }

  /** A host pushed to the monitor: its id (and technical name, when known) there, and in sync as of `at`. */
  async markHostPushed(
    hostId: number,
    monitorId: number,
    externalId: string,
    at: Date,
    technicalName?: string,
  ): Promise<void> {
    const named = technicalName === undefined ? {} : { technicalName };
    await this.transactions.single((manager) =>
      manager.update(
        Host,
        { id: hostId },
        { externalId, monitorId, status: SyncStatus.Active, statusDescription: '', lastSyncAt: at, ...named },
      ),
    );
  }

  /** An item pushed to the monitor, under its host's id there, and in sync as of `at`. */
  async markItemPushed(itemId: number, externalId: string, externalHostId: string, at: Date): Promise<void> {
    await this.transactions.single((manager) =>
      manager.update(
        Item,
        { id: itemId },
        { externalId, externalHostId, status: SyncStatus.Active, statusDescription: '', lastSyncAt: at },
      ),
    );
  }

  /** A host or item the monitor refused on a push: status 2 with the monitor's reason. */
  async markRejected(entity: typeof Host | typeof Item, id: number, reason: string): Promise<void> {
    await this.transactions.single((manager) =>
      manager.update(entity, { id }, { status: SyncStatus.Error, statusDescription: reason.slice(0, 1024) }),
    );
  }

  /**
   * One item the monitor no longer has (or has under another host): status 2 with the reason. Returns 1 when it
   * vanished now, 0 when it was already marked.
   */
  async markItemVanished(itemId: number): Promise<number> {
    return this.transactions.single((manager) => markOneVanished(manager, Item, itemId, ITEM_VANISHED));
  }

  /** Creates the monitor's groups that are new, renames those that changed; returns external id → local id. */
  async upsertGroups(monitorId: number, remote: RemoteGroup[]): Promise<Map<string, number>> {
    const distinct = [...new Map(remote.map((group) => [group.externalId, group])).values()];
    return this.transactions.run(async (manager) => {
      for (const batch of chunks(distinct, BULK_BATCH)) {
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

  /**
   * Upserts the reported hosts (a page of a pull, or one host), rewriting only those whose stored fields changed.
   * Returns their counts and their local ids by external id.
   */
  async upsertHosts(
    monitorId: number,
    remote: RemoteHost[],
    groupIds: Map<string, number>,
    options: { syncedAt: Date },
  ): Promise<HostUpsert> {
    const counts = emptyCounts();
    counts.total = remote.length;
    const fresh = new Set<number>();
    const ids = await this.transactions.run(async (manager) => {
      const local = new Map<string, number>();
      const existing = new Set<number>();
      const written = new Set<number>();
      for (const batch of chunks(remote, BULK_BATCH)) {
        const externalIds = batch.map((host) => host.externalId);
        const known = await hostIdsOf(manager, monitorId, externalIds);
        for (const [externalId, id] of known) {
          existing.add(id);
          local.set(externalId, id);
        }
        const rows = batch.map((host) => hostRow(monitorId, host, groupIds, options.syncedAt));
        const added = batch.filter((host) => !known.has(host.externalId)).length;
        // RETURNING the external ids: a new host's id comes back with its insert rather than from another read.
        const upserted = await bulkUpsertReturning(manager, HOST_UPSERTS, rows, {
          allNew: added === batch.length,
          key: 'externalId',
        });
        upserted.ids?.forEach((id) => written.add(id));
        for (const [externalId, id] of upserted.byKey) {
          if (!existing.has(id)) fresh.add(id);
          local.set(externalId as string, id);
        }
        // Only a host stored since it was looked up, and left unchanged, comes back from neither: read it.
        const missing = externalIds.filter((externalId) => !local.has(externalId));
        for (const [externalId, id] of await hostIdsOf(manager, monitorId, missing)) local.set(externalId, id);
        await yieldToEventLoop();
        counts.added += added;
        counts.updated += upserted.written - added;
      }
      // A host whose only change is its groups was not rewritten above, but it was updated all the same.
      const regrouped = await linkPulledGroups(manager, local, remote, groupIds, { ...options, written, fresh });
      counts.updated += regrouped.filter((id) => existing.has(id) && !written.has(id)).length;
      return local;
    });
    counts.unchanged = counts.total - counts.added - counts.updated;
    return { hosts: counts, ids, fresh };
  }

  /**
   * The monitor's hosts not in `present` (every host a pull reported), with their synced items, marked vanished.
   * The stored hosts are read a page at a time, so a big monitor's are never all in memory.
   */
  async markHostsVanishedExcept(
    monitorId: number,
    present: ReadonlySet<string>,
  ): Promise<{ hosts: number; items: number }> {
    const marked = { hosts: 0, items: 0 };
    const owner = { column: 'monitor_id', id: monitorId } as const;
    for (let after = 0; ;) {
      const page = await this.transactions.single((manager) => hostPage(manager, monitorId, after, BULK_BATCH));
      if (page.length === 0) return marked;
      after = page[page.length - 1].id;
      const vanished = page.filter((host) => !present.has(host.externalId));
      if (vanished.length === 0) continue;
      await this.transactions.run(async (manager) => {
        const externalIds = vanished.map((host) => host.externalId);
        marked.hosts += await markVanished(manager, Host, owner, externalIds, HOST_VANISHED);
        marked.items += await markItemsOfVanishedHosts(
          manager,
          vanished.map((host) => host.id),
        );
      });
    }
  }

  /**
   * One host the monitor no longer has: status 2 with the reason, and its synced items likewise. Returns 1 when
   * it vanished now, 0 when it was already marked.
   */
  async markHostVanished(hostId: number): Promise<number> {
    return this.transactions.run(async (manager) => {
      const vanished = await markOneVanished(manager, Host, hostId, HOST_VANISHED);
      await markItemsOfVanishedHosts(manager, [hostId]);
      return vanished;
    });
  }

  /**
   * Upserts the items reported for these hosts (external id → local host id), writing only those that are new or
   * changed: an item whose hash equals the one its last pull stored, on a row no one changed since, costs no write
   * at all (on PostgreSQL an upsert that its WHERE turns down still locks the row, writing its page); the others
   * go to the upsert, whose WHERE compares the fields themselves. With `complete`, the hosts' other synced items
   * are marked vanished. `fresh` hosts were inserted by this pull (HostUpsert.fresh): they have no items to read.
   */
  async upsertItems(
    hosts: Map<string, number>,
    remote: RemoteItem[],
    options: { complete: boolean; syncedAt: Date; fresh?: ReadonlySet<number> },
  ): Promise<ItemSyncCounts> {
    const hostIds = [...hosts.values()];
    const stale = options.fresh ? hostIds.filter((hostId) => !options.fresh?.has(hostId)) : hostIds;
    const write = (manager: EntityManager) => writeItems(manager, hosts, remote, stale, options);
    // Items of hosts new to the inventory (a first sync) that one statement writes: nothing to read before it, none
    // to mark vanished after, and a statement is atomic by itself, so no BEGIN and COMMIT round trips around it.
    if (stale.length === 0 && remote.length <= this.transactions.bulkBatch()) return this.transactions.single(write);
    return this.transactions.run(write);
  }
}

/**
 * Within upsertItems' transaction: reads what the `stale` hosts (all but those new to the inventory) have stored,
 * upserts what is new or changed, and with `complete` marks the hosts' items no longer reported vanished.
 */
async function writeItems(
  manager: EntityManager,
  hosts: Map<string, number>,
  remote: RemoteItem[],
  stale: number[],
  options: { complete: boolean; syncedAt: Date },
): Promise<ItemSyncCounts> {
  const stored: StoredItems = new Map([...hosts.values()].map((hostId) => [hostId, new Map()]));
  for (const batch of chunks(stale, BULK_BATCH)) await readSyncedItems(manager, batch, stored);
  const changes = itemChanges(hosts, remote, stored);
  const { counts } = changes;
  // These hosts had no synced item (a first sync): every row is an insert.
  const allNew = [...stored.values()].every((hostItems) => hostItems.size === 0);
  const batchSize = bulkBatchOf(manager);
  let written = 0;
  // Rows are built a statement's worth at a time, and only for the items to write.
  for (let start = 0; start < changes.items.length; start += batchSize) {
    const end = Math.min(start + batchSize, changes.items.length);
    const rows: Row<typeof ITEM_UPSERTS>[] = [];
    for (let i = start; i < end; i++) {
      rows.push(itemRow(changes.hostIds[i], changes.items[i], options.syncedAt, changes.hashes[i]));
    }
    written += await bulkUpsert(manager, ITEM_UPSERTS, rows, { allNew });
    await yieldToEventLoop();
  }
  counts.updated = written - counts.added;
  counts.unchanged = counts.total - written;
  if (options.complete) counts.vanished = await markItemsVanished(manager, vanishedItems(stored));
  return counts;
}

/** The items each host had on the monitor that it no longer reported, marked vanished. */
async function markItemsVanished(manager: EntityManager, vanished: Map<number, string[]>): Promise<number> {
  let marked = 0;
  for (const [hostId, externalIds] of vanished) {
    marked += await markVanished(manager, Item, { column: 'host_id', id: hostId }, externalIds, ITEM_VANISHED);
  }
  return marked;
}
