import { Injectable, Logger } from '@nestjs/common';
import { ConflictError } from '../../common/http/domain-error';
import { Host } from '../entities/host.entity';
import { Item } from '../entities/item.entity';
import { HostsService } from '../services/hosts.service';
import { ItemsService } from '../services/items.service';
import { InventoryWriter } from './inventory-writer';
import { MonitorSessions, type SyncOptions } from './monitor-sessions';
import { markingRejection } from './rejection-marks';
import { emptyCounts, type SyncResult } from './sync-result';

/**
 * Deletes a host or item on its monitor, then here (the push_host and push_item tasks with `delete`). The local row
 * goes only once the monitor no longer has it: when the monitor refuses the delete, the row stays, with the reason.
 */
@Injectable()
export class MonitorDeletes {
  private readonly logger = new Logger(MonitorDeletes.name);

  constructor(
    private readonly sessions: MonitorSessions,
    private readonly hosts: HostsService,
    private readonly items: ItemsService,
    private readonly writer: InventoryWriter,
  ) {}

  /** host.delete (Zabbix deletes the host's items with it), then the host and its items here. */
  async deleteHost(monitorId: number, hostId: number, options: SyncOptions = {}): Promise<SyncResult> {
    return this.sessions.run(monitorId, options, async ({ provider, target }) => {
      const host = await this.hosts.getOnMonitor(monitorId, hostId);
      const externalId = linked(host.externalId, `Host ${hostId}`, monitorId);
      const removed = await markingRejection(this.writer, Host, host.id, () => provider.deleteHost(target, externalId));
      await this.writer.deleteHost(host.id);
      this.logger.log({ msg: 'deleted host on its monitor', monitor_id: monitorId, host_id: hostId, removed });
      return deleted(removed);
    });
  }

  /** item.delete, then the item here. */
  async deleteItem(monitorId: number, hostId: number, itemId: number, options: SyncOptions = {}): Promise<SyncResult> {
    return this.sessions.run(monitorId, options, async ({ provider, target }) => {
      await this.hosts.getOnMonitor(monitorId, hostId);
      const item = await this.items.getOnHost(hostId, itemId);
      const externalId = linked(item.externalId, `Item ${itemId}`, monitorId);
      const removed = await markingRejection(this.writer, Item, item.id, () => provider.deleteItem(target, externalId));
      await this.writer.deleteItem(item.id);
      this.logger.log({ msg: 'deleted item on its monitor', monitor_id: monitorId, item_id: itemId, removed });
      return deleted(removed);
    });
  }
}

function linked(externalId: string | null, what: string, monitorId: number): string {
  if (!externalId)
    throw new ConflictError(`${what} has not been pushed to monitor ${monitorId}: nothing to delete there`);
  return externalId;
}

/** `deleted` 1 when the monitor had the object and deleted it, 0 when it was already gone there. */
function deleted(removed: boolean): SyncResult {
  return { ...emptyCounts(), deleted: removed ? 1 : 0 };
}
