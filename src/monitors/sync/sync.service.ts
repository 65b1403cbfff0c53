import { Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { ConflictError, UpstreamError } from '../../common/http/domain-error';
import { HostGroup } from '../entities/host-group.entity';
import { Host } from '../entities/host.entity';
import { Item } from '../entities/item.entity';
import type { Monitor } from '../entities/monitor.entity';
import { SyncStatus } from '../entities/sync-status';
import type { MonitorProvider, MonitorTarget } from '../providers/monitor-provider';
import { MonitorProviders } from '../providers/monitor-providers';
import { HostsService } from '../services/hosts.service';
import { ItemsService } from '../services/items.service';
import { MonitorsService } from '../services/monitors.service';
import { chunks } from './chunks';
import { InventoryWriter, ITEM_VANISHED } from './inventory-writer';
import { MonitorLock } from './monitor-lock';
import { emptyCounts, type ProgressListener, type SyncResult } from './sync-result';

/** Hosts whose items one `item.get` asks for. */
const ITEM_PULL_BATCH = 100;
/** `item.get` calls a pull of all hosts keeps in flight while it writes what came before. */
const ITEM_PULL_AHEAD = 2;
/** The group a pushed host joins when it has none locally. */
const DEFAULT_GROUP = 'Nagare';

export interface SyncOptions {
  progress?: ProgressListener;
  /**
   * How long to wait for another sync of the same monitor to finish. HTTP callers answer 409 at once; a queued
   * task waits its turn instead of burning retries.
   */
  waitForLockMs?: number;
}

interface Session {
  monitor: Monitor;
  provider: MonitorProvider;
  target: MonitorTarget;
}

/**
 * The work a sync task does: pull hosts and items from a monitor into the inventory, push local ones to it.
 * One sync per monitor at a time (MonitorLock). A monitor that cannot be reached or refuses its credentials
 * ends in status 2 with the reason; nothing local is ever deleted.
 */
@Injectable()
export class SyncService {
  private readonly logger = new Logger(SyncService.name);

  constructor(
    private readonly monitors: MonitorsService,
    private readonly hosts: HostsService,
    private readonly items: ItemsService,
    private readonly providers: MonitorProviders,
    private readonly writer: InventoryWriter,
    private readonly lock: MonitorLock,
    @InjectRepository(Host) private readonly hostRepository: Repository<Host>,
    @InjectRepository(Item) private readonly itemRepository: Repository<Item>,
    @InjectRepository(HostGroup) private readonly groupRepository: Repository<HostGroup>,
  ) {}

  /**
   * Every host of the monitor, then the items of all of them, in batches of hosts per call. The `item.get` calls
   * run ahead of the writes (up to ITEM_PULL_AHEAD batches, the first ones while the hosts are written), so the
   * sync takes about as long as the longer of fetching and writing rather than their sum. Batches are still
   * written one after the other, in order; a batch whose fetch failed fails the sync when its turn comes, as
   * before, and the fetches still in flight are dropped.
   */
  async pullHosts(monitorId: number, options: SyncOptions = {}): Promise<SyncResult> {
    const { progress } = options;
    return this.withMonitor(monitorId, options, async ({ monitor, provider, target }) => {
      await this.monitors.setStatus(monitorId, SyncStatus.Syncing, 'Sync in progress');
      const syncedAt = new Date();
      const remote = await provider.listHosts(target);
      // Every reported host is in the inventory once upsertHosts is done, so these are the hosts whose items are
      // pulled; fetching may begin before they are written.
      const batches = chunks([...new Set(remote.map((host) => host.externalId))], ITEM_PULL_BATCH);
      const fetches = new ReadAhead(batches, ITEM_PULL_AHEAD, (batch) => provider.listItems(target, batch));
      try {
        fetches.start();
        const groupIds = await this.writer.upsertGroups(
          monitorId,
          remote.flatMap((host) => host.groups),
        );
        const hostCounts = await this.writer.upsertHosts(monitorId, remote, groupIds, { complete: true, syncedAt });

        const local = await this.writer.hostIds(monitorId);
        const itemCounts = emptyCounts();
        let done = 0;
        await progress?.(0, remote.length);
        for (let index = 0; index < batches.length; index++) {
          const items = await fetches.take(index);
          const hosts = new Map<string, number>();
          for (const externalId of batches[index]) {
            const hostId = local.get(externalId);
            if (hostId !== undefined) hosts.set(externalId, hostId);
          }
          const counts = await this.writer.upsertItems(hosts, items, { complete: true, syncedAt });
          for (const key of ['added', 'updated', 'failed', 'total'] as const) itemCounts[key] += counts[key];
          done += hosts.size;
          await progress?.(done, remote.length);
        }
        await this.monitors.setStatus(
          monitorId,
          SyncStatus.Active,
          `Synced ${hostCounts.total} hosts and ${itemCounts.total} items`,
          syncedAt,
        );
        this.logger.log({ msg: 'pulled hosts', monitor_id: monitor.id, hosts: hostCounts, items: itemCounts });
        return { ...hostCounts, items: itemCounts };
      } finally {
        fetches.stop();
      }
    });
  }

  /** The items of one host. */
  async pullItems(monitorId: number, hostId: number, options: SyncOptions = {}): Promise<SyncResult> {
    const { progress } = options;
    return this.withMonitor(monitorId, options, async ({ provider, target }) => {
      const host = await this.pushedHost(monitorId, hostId);
      await progress?.(0, 1);
      const items = await provider.listItems(target, [host.externalId]);
      const counts = await this.writer.upsertItems(new Map([[host.externalId, host.id]]), items, {
        complete: true,
        syncedAt: new Date(),
      });
      await progress?.(1, 1);
      return counts;
    });
  }

  /** One host's own fields (name, address, group, state) as the monitor has them now. */
  async pullHost(monitorId: number, hostId: number, options: SyncOptions = {}): Promise<SyncResult> {
    return this.withMonitor(monitorId, options, async ({ provider, target }) => {
      const host = await this.pushedHost(monitorId, hostId);
      const [remote] = await provider.listHosts(target, [host.externalId]);
      if (!remote) {
        await this.writer.markHostVanished(host.id);
        return { added: 0, updated: 0, failed: 1, total: 1 };
      }
      const groupIds = await this.writer.upsertGroups(monitorId, remote.groups);
      return this.writer.upsertHosts(monitorId, [remote], groupIds, { complete: false, syncedAt: new Date() });
    });
  }

  /** One item as the monitor has it now. */
  async pullItem(monitorId: number, hostId: number, itemId: number, options: SyncOptions = {}): Promise<SyncResult> {
    return this.withMonitor(monitorId, options, async ({ provider, target }) => {
      const host = await this.pushedHost(monitorId, hostId);
      const item = await this.items.getOnHost(hostId, itemId);
      if (!item.externalId) throw new ConflictError(`Item ${itemId} has not been pushed to monitor ${monitorId} yet`);
      const [remote] = await provider.getItems(target, [item.externalId]);
      if (!remote || remote.externalHostId !== host.externalId) {
        await this.itemRepository.update(
          { id: item.id },
          { status: SyncStatus.Error, statusDescription: ITEM_VANISHED },
        );
        return { added: 0, updated: 0, failed: 1, total: 1 };
      }
      return this.writer.upsertItems(new Map([[host.externalId, host.id]]), [remote], {
        complete: false,
        syncedAt: new Date(),
      });
    });
  }

  /** Creates the host on the monitor when it has no external id yet (and stores the id it gets), else updates it. */
  async pushHost(monitorId: number, hostId: number, options: SyncOptions = {}): Promise<SyncResult> {
    return this.withMonitor(monitorId, options, async (session) => {
      const { created } = await this.pushHostWithin(session, hostId);
      return { added: created ? 1 : 0, updated: created ? 0 : 1, failed: 0, total: 1 };
    });
  }

  /** Pushes the item's host first when that has no external id, then creates or updates the item. */
  async pushItem(monitorId: number, hostId: number, itemId: number, options: SyncOptions = {}): Promise<SyncResult> {
    return this.withMonitor(monitorId, options, async (session) => {
      const { host } = await this.pushHostWithin(session, hostId, { onlyIfNew: true });
      const item = await this.items.getOnHost(hostId, itemId);
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
      if (created) {
        externalId = await session.provider.createItem(session.target, host.externalId as string, draft);
      } else {
        await session.provider.updateItem(session.target, item.externalId as string, draft);
      }
      await this.itemRepository.update(
        { id: item.id },
        {
          externalId,
          externalHostId: host.externalId,
          status: SyncStatus.Active,
          statusDescription: '',
          lastSyncAt: new Date(),
        },
      );
      return { added: created ? 1 : 0, updated: created ? 0 : 1, failed: 0, total: 1 };
    });
  }

  private async pushHostWithin(
    { monitor, provider, target }: Session,
    hostId: number,
    options: { onlyIfNew?: boolean } = {},
  ): Promise<{ host: Host; created: boolean }> {
    const host = await this.hosts.getPushable(monitor.id, hostId);
    if (host.externalId && host.monitorId === monitor.id && options.onlyIfNew) return { host, created: false };
    const group = host.groupId ? await this.groupRepository.findOneBy({ id: host.groupId }) : null;
    const draft = {
      name: host.name,
      description: host.description,
      ipAddr: host.ipAddr,
      enabled: host.enabled,
      groupName: group?.name ?? DEFAULT_GROUP,
    };
    const created = !host.externalId || host.monitorId !== monitor.id;
    if (created) {
      host.externalId = await provider.createHost(target, draft);
      host.monitorId = monitor.id;
    } else {
      await provider.updateHost(target, host.externalId as string, draft);
    }
    host.status = SyncStatus.Active;
    host.statusDescription = '';
    host.lastSyncAt = new Date();
    await this.hostRepository.update(
      { id: host.id },
      {
        externalId: host.externalId,
        monitorId: host.monitorId,
        status: host.status,
        statusDescription: '',
        lastSyncAt: host.lastSyncAt,
      },
    );
    return { host, created };
  }

  /** Holds the monitor's lock, and records a monitor that cannot be reached or logged in to as status 2. */
  private async withMonitor<T>(
    monitorId: number,
    options: SyncOptions,
    work: (session: Session) => Promise<T>,
  ): Promise<T> {
    const monitor = await this.monitors.get(monitorId);
    if (!monitor.enabled) throw new ConflictError(`Monitor ${monitorId} is disabled`);
    const provider = this.providers.for(monitor.type);
    return this.lock.run(monitorId, options.waitForLockMs ?? 0, async () => {
      try {
        return await work({ monitor, provider, target: this.monitors.target(monitor) });
      } catch (error) {
        if (error instanceof UpstreamError) await this.monitors.setStatus(monitorId, SyncStatus.Error, error.message);
        else if (await this.isSyncing(monitorId)) {
          await this.monitors.setStatus(monitorId, SyncStatus.Error, `Sync failed: ${(error as Error).message}`);
        }
        throw error;
      }
    });
  }

  private async isSyncing(monitorId: number): Promise<boolean> {
    return (await this.monitors.get(monitorId)).status === SyncStatus.Syncing;
  }

  /** A host on this monitor that has an external id there. */
  private async pushedHost(monitorId: number, hostId: number): Promise<Host & { externalId: string }> {
    const host = await this.hosts.getOnMonitor(monitorId, hostId);
    if (!host.externalId) throw new ConflictError(`Host ${hostId} has not been pushed to monitor ${monitorId} yet`);
    return host as Host & { externalId: string };
  }
}

/**
 * Runs `fetch` for the batches in order, keeping at most `ahead` of them started but not yet taken. A failed
 * fetch is reported when its batch is taken, never as an unhandled rejection.
 */
class ReadAhead<B, R> {
  private readonly pending = new Map<number, Promise<R>>();
  private next = 0;
  private stopped = false;

  constructor(
    private readonly batches: B[],
    private readonly ahead: number,
    private readonly fetch: (batch: B) => Promise<R>,
  ) {}

  start(): void {
    while (!this.stopped && this.next < this.batches.length && this.pending.size < this.ahead) {
      const index = this.next++;
      const promise = this.fetch(this.batches[index]);
      promise.catch(() => undefined);
      this.pending.set(index, promise);
    }
  }

  /** The batch's result; batches must be taken in order. */
  take(index: number): Promise<R> {
    this.start();
    const promise = this.pending.get(index) ?? this.fetch(this.batches[index]);
    this.pending.delete(index);
    this.start();
    return promise;
  }

  stop(): void {
    this.stopped = true;
    this.pending.clear();
  }
}
