import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConflictError } from '../../common/http/domain-error';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { Host } from '../entities/host.entity';
import { Item } from '../entities/item.entity';
import { SyncStatus } from '../entities/sync-status';
import type { RemoteHost, RemoteItem } from '../providers/monitor-provider';
import { HostNameTakenError } from '../providers/provider-errors';
import { HostsService } from '../services/hosts.service';
import { ItemsService } from '../services/items.service';
import { chunks } from './chunks';
import { type HostUpsert, InventoryWriter } from './inventory-writer';
import { distinctHosts, ITEM_BATCH_HOSTS, itemBatches } from './item-batches';
import { type MonitorSession, MonitorSessions, type SyncOptions } from './monitor-sessions';
import { ReadAhead } from './read-ahead';
import { WriteWindow } from './write-window';
import { markingRejection } from './rejection-marks';
import {
  addCounts,
  emptyCounts,
  emptyItemCounts,
  type ItemSyncCounts,
  type SyncCounts,
  type SyncResult,
} from './sync-result';
import { assertTechnicalNameFree, nameTakenOnMonitor } from './technical-names';

export type { SyncOptions } from './monitor-sessions';

/** `item.get` calls a pull of all hosts keeps in flight while it writes what came before. */
const ITEM_PULL_AHEAD = 2;
/** Hosts per `host.get` of a pull of all hosts; each page's items are fetched in batches of its own (itemBatches). */
const HOST_PAGE = 10 * ITEM_BATCH_HOSTS;

/** A page of a pull of all hosts: its hosts' external ids, and the same ids in the batches their items come in. */
interface HostPage {
  ids: string[];
  itemBatches: string[][];
}

/** The fetches of a pull of all hosts, running ahead of its writes: pages of hosts, batches of their items. */
interface Fetches {
  hosts: ReadAhead<string[], RemoteHost[]>;
  items: ReadAhead<string[], RemoteItem[]>;
}

/**
 * The work a sync task does: pull hosts and items from a monitor into the inventory, push local ones to it.
 * One sync per monitor at a time (MonitorSessions). A monitor that cannot be reached or refuses its credentials
 * ends in status 2 with the reason; a host or item the monitor refuses on a push gets the reason instead, and the
 * monitor keeps its status. Nothing local is ever deleted here.
 */
@Injectable()
export class SyncService {
  private readonly logger = new Logger(SyncService.name);

  constructor(
    private readonly sessions: MonitorSessions,
    private readonly hosts: HostsService,
    private readonly items: ItemsService,
    private readonly writer: InventoryWriter,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * Every host of the monitor and their items, a page at a time so no step holds the whole inventory: the host
   * ids first (Zabbix has no offset to page by), then for each page of HOST_PAGE ids the hosts' fields, written,
   * then their items in batches sized by the hosts' item counts (itemBatches), written in turn (two at once on
   * PostgreSQL). The `item.get` calls run ahead of the writes (up to ITEM_PULL_AHEAD batches, the first ones while
   * the hosts are written), and the next page of hosts is fetched while this one's items are written, so the sync
   * takes about as long as the longer of fetching and writing rather than their sum. A batch whose fetch failed
   * fails the sync when its turn comes; the fetches still in flight are dropped. Hosts no longer reported are marked
   * vanished at the end, reading the stored hosts a page at a time.
   */
  async pullHosts(monitorId: number, options: SyncOptions = {}): Promise<SyncResult> {
    return this.sessions.run(monitorId, options, async ({ monitor, provider, target }) => {
      await this.writer.setMonitorStatus(monitorId, SyncStatus.Syncing, 'Sync in progress');
      const syncedAt = new Date();
      const hosts = distinctHosts(await provider.listHostSizes(target));
      const ids = hosts.map((host) => host.externalId);
      const pages = chunks(hosts, HOST_PAGE).map((page) => ({
        ids: page.map((host) => host.externalId),
        itemBatches: itemBatches(page),
      }));
      const fetches: Fetches = {
        hosts: new ReadAhead(
          pages.map((page) => page.ids),
          1,
          (page) => provider.listHosts(target, page),
        ),
        items: new ReadAhead(
          pages.flatMap((page) => page.itemBatches),
          ITEM_PULL_AHEAD,
          (batch) => provider.listItems(target, batch),
        ),
      };
      try {
        fetches.items.start();
        fetches.hosts.start();
        const { hostCounts, itemCounts } = await this.writePages(monitorId, pages, fetches, syncedAt, options.progress);
        const vanished = await this.writer.markHostsVanishedExcept(monitorId, new Set(ids));
        hostCounts.vanished += vanished.hosts;
        itemCounts.vanished += vanished.items;
        await this.writer.refreshStatistics({ hosts: hostCounts.added, items: itemCounts.added });
        await this.writer.setMonitorStatus(
          monitorId,
          SyncStatus.Active,
          `Synced ${hostCounts.total} hosts and ${itemCounts.total} items`,
          syncedAt,
        );
        this.logger.log({ msg: 'pulled hosts', monitor_id: monitor.id, hosts: hostCounts, items: itemCounts });
        return { ...hostCounts, items: itemCounts };
      } finally {
        fetches.hosts.stop();
        fetches.items.stop();
      }
    });
  }

  /**
   * Each page's hosts, written, then their items a batch at a time, with as many item writes at once as the
   * database takes (InventoryWriter.itemWritesAtOnce): on PostgreSQL the next batch is hashed and built while the
   * server stores the one before. When anything fails, the writes in flight end before the failure is thrown.
   */
  private async writePages(
    monitorId: number,
    pages: HostPage[],
    fetches: Fetches,
    syncedAt: Date,
    progress: SyncOptions['progress'],
  ): Promise<{ hostCounts: SyncCounts; itemCounts: ItemSyncCounts }> {
    const hostCounts = emptyCounts();
    const itemCounts = emptyItemCounts();
    const total = pages.reduce((sum, page) => sum + page.ids.length, 0);
    const writes = new WriteWindow(this.writer.itemWritesAtOnce());
    let batchIndex = 0;
    let done = 0;
    await progress?.(0, total);
    try {
      for (let page = 0; page < pages.length; page++) {
        const written = await this.writeHostPage(monitorId, fetches.hosts.take(page), syncedAt);
        addCounts(hostCounts, written.hosts);
        for (const batch of pages[page].itemBatches) {
          const index = batchIndex++;
          await writes.add(async () => {
            const fetched = fetches.items.take(index);
            addCounts(
              itemCounts,
              await this.writeItemBatch(known(written.ids, batch), fetched, syncedAt, written.fresh),
            );
            done += batch.length;
            // A re-sync writes nothing and its fetches are often in already: without this, the batches could run
            // back to back on the event loop, and the API would wait for all of them.
            await yieldToEventLoop();
            await progress?.(done, total);
          });
        }
      }
      await writes.drain();
    } catch (error) {
      await writes.settle();
      throw error;
    }
    return { hostCounts, itemCounts };
  }

  // The replies are awaited in here rather than in pullHosts, so they are garbage once written: a suspended
  // pullHosts would keep them until its next await replaced them, while the next ones are fetched.
  private async writeHostPage(monitorId: number, fetched: Promise<RemoteHost[]>, syncedAt: Date): Promise<HostUpsert> {
    const remote = await fetched;
    const groupIds = await this.writer.upsertGroups(
      monitorId,
      remote.flatMap((host) => host.groups),
    );
    return this.writer.upsertHosts(monitorId, remote, groupIds, { syncedAt });
  }

  private async writeItemBatch(
    hosts: Map<string, number>,
    fetched: Promise<RemoteItem[]>,
    syncedAt: Date,
    fresh: ReadonlySet<number>,
  ): Promise<ItemSyncCounts> {
    return this.writer.upsertItems(hosts, await fetched, { complete: true, syncedAt, fresh });
  }

  /** The items of one host. */
  async pullItems(monitorId: number, hostId: number, options: SyncOptions = {}): Promise<SyncResult> {
    const { progress } = options;
    return this.sessions.run(monitorId, options, async ({ provider, target }) => {
      const host = await this.pushedHost(monitorId, hostId);
      await progress?.(0, 1);
      const items = await provider.listItems(target, [host.externalId]);
      const counts = await this.writer.upsertItems(new Map([[host.externalId, host.id]]), items, {
        complete: true,
        syncedAt: new Date(),
      });
      await this.writer.refreshStatistics({ hosts: 0, items: counts.added });
      await progress?.(1, 1);
      return counts;
    });
  }

  /** One host's own fields (name, address, group, state) as the monitor has them now. */
  async pullHost(monitorId: number, hostId: number, options: SyncOptions = {}): Promise<SyncResult> {
    return this.sessions.run(monitorId, options, async ({ provider, target }) => {
      const host = await this.pushedHost(monitorId, hostId);
      const [remote] = await provider.listHosts(target, [host.externalId]);
      if (!remote) {
        return { ...emptyCounts(), vanished: await this.writer.markHostVanished(host.id) };
      }
      const groupIds = await this.writer.upsertGroups(monitorId, remote.groups);
      const { hosts } = await this.writer.upsertHosts(monitorId, [remote], groupIds, { syncedAt: new Date() });
      return hosts;
    });
  }

  /** One item as the monitor has it now. */
  async pullItem(monitorId: number, hostId: number, itemId: number, options: SyncOptions = {}): Promise<SyncResult> {
    return this.sessions.run(monitorId, options, async ({ provider, target }) => {
      const host = await this.pushedHost(monitorId, hostId);
      const item = await this.items.getOnHost(hostId, itemId);
      if (!item.externalId) throw new ConflictError(`Item ${itemId} has not been pushed to monitor ${monitorId} yet`);
      const [remote] = await provider.getItems(target, [item.externalId]);
      if (!remote || remote.externalHostId !== host.externalId) {
        return { ...emptyItemCounts(), vanished: await this.writer.markItemVanished(item.id) };
      }
      return this.writer.upsertItems(new Map([[host.externalId, host.id]]), [remote], {
        complete: false,
        syncedAt: new Date(),
      });
    });
  }

  /** Creates the host on the monitor when it has no external id yet (and stores the id it gets), else updates it. */
  async pushHost(monitorId: number, hostId: number, options: SyncOptions = {}): Promise<SyncResult> {
    return this.sessions.run(monitorId, options, async (session) => {
      const { created } = await this.pushHostWithin(session, hostId);
      return pushed(created);
    });
  }

  /**
   * Pushes the item's host first when that has no external id, then creates or updates the item. The item is found
   * before anything is pushed: an item that is not on the host is a 404 that changed nothing.
   */
  async pushItem(monitorId: number, hostId: number, itemId: number, options: SyncOptions = {}): Promise<SyncResult> {
    return this.sessions.run(monitorId, options, async (session) => {
      const item = await this.items.getOnHost(hostId, itemId);
      const { host } = await this.pushHostWithin(session, hostId, { onlyIfNew: true });
      const draft = {
        name: item.name,
        key: item.key,
        valueType: item.valueType,
        units: item.units,
        description: item.description,
        enabled: item.enabled,
      };
      const moved = item.externalHostId !== null && item.externalHostId !== host.externalId;
      const created = !item.externalId || moved;
      let externalId = item.externalId;
      await markingRejection(this.writer, Item, item.id, async () => {
        if (created) externalId = await session.provider.createItem(session.target, host.externalId as string, draft);
        else await session.provider.updateItem(session.target, item.externalId as string, draft);
      });
      await this.writer.markItemPushed(item.id, externalId as string, host.externalId as string, new Date());
      return pushed(created);
    });
  }

  private async pushHostWithin(
    { monitor, provider, target }: MonitorSession,
    hostId: number,
    options: { onlyIfNew?: boolean } = {},
  ): Promise<{ host: Host; created: boolean }> {
    const host = await this.hosts.getPushable(monitor.id, hostId);
    if (host.externalId && host.monitorId === monitor.id && options.onlyIfNew) return { host, created: false };
    const created = !host.externalId || host.monitorId !== monitor.id;
    // Derived only for a new host: an existing one keeps the technical name it has on the monitor.
    const technicalName = host.technicalName ?? (created ? provider.technicalName(host.name) : null);
    if (technicalName !== null) await assertTechnicalNameFree(this.hosts, monitor.id, host, technicalName);
    const groupNames = await this.hosts.groupNamesOf(host.id);
    const draft = {
      name: host.name,
      technicalName,
      description: host.description,
      ipAddr: host.ipAddr,
      enabled: host.enabled,
      groupNames: groupNames.length > 0 ? groupNames : [this.config.sync.pushGroup],
    };
    await markingRejection(this.writer, Host, host.id, async () => {
      try {
        if (created) {
          host.externalId = await provider.createHost(target, draft);
          host.monitorId = monitor.id;
        } else {
          await provider.updateHost(target, host.externalId as string, draft);
        }
      } catch (error) {
        if (error instanceof HostNameTakenError) throw await nameTakenOnMonitor(this.hosts, monitor.id, host, error);
        throw error;
      }
    });
    const syncedAt = new Date();
    await this.writer.markHostPushed(
      host.id,
      monitor.id,
      host.externalId as string,
      syncedAt,
      technicalName ?? undefined,
    );
    host.status = SyncStatus.Active;
    host.statusDescription = '';
    host.lastSyncAt = syncedAt;
    return { host, created };
  }

  /** A host on this monitor that has an external id there. */
  private async pushedHost(monitorId: number, hostId: number): Promise<Host & { externalId: string }> {
    const host = await this.hosts.getOnMonitor(monitorId, hostId);
    if (!host.externalId) throw new ConflictError(`Host ${hostId} has not been pushed to monitor ${monitorId} yet`);
    return host as Host & { externalId: string };
  }
}

/** External id → local id of the batch's hosts that are stored (a host may vanish between two calls). */
function known(ids: Map<string, number>, batch: string[]): Map<string, number> {
  const hosts = new Map<string, number>();
  for (const externalId of batch) {
    const hostId = ids.get(externalId);
    if (hostId !== undefined) hosts.set(externalId, hostId);
  }
  return hosts;
}

/** The result of pushing one host or item: created on the monitor, or an update sent to it. */
function pushed(created: boolean): SyncResult {
  return { ...emptyCounts(), added: created ? 1 : 0, updated: created ? 0 : 1, total: 1 };
}
