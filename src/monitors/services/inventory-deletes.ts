import { Injectable } from '@nestjs/common';
import { ConflictError } from '../../common/http/domain-error';
import { IdempotentTasks, type IdempotencyKeyed } from '../../queue/idempotency/idempotent-tasks.service';
import type { EnqueuedTask } from '../../queue/task-producer.service';
import { HostsService } from './hosts.service';
import { ItemsService } from './items.service';

/** What a DELETE of a host or item did: deleted here at once, or queued its deletion on the monitor. */
export type DeleteOutcome =
  { deleted: true } | { deleted: false; queued: EnqueuedTask; monitorId: number; hostId: number; itemId?: number };

/**
 * DELETE /hosts/:id and /items/:id. A host or item on no monitor (never pushed, or its monitor gone) is deleted
 * here at once. One that is on a monitor would come back with the next pull: a plain DELETE is refused (409), and
 * `on_monitor` queues its deletion there (a push_host or push_item task with `delete`), which deletes it here after.
 */
@Injectable()
export class InventoryDeletes {
  constructor(
    private readonly hosts: HostsService,
    private readonly items: ItemsService,
    private readonly tasks: IdempotentTasks,
  ) {}

  async deleteHost(id: number, onMonitor: boolean, idempotency?: IdempotencyKeyed): Promise<DeleteOutcome> {
    const host = await this.hosts.get(id);
    if (host.monitorId === null || !host.externalId) {
      await this.hosts.remove(id);
      return { deleted: true };
    }
    if (!onMonitor) throw onMonitorConflict(`Host ${id}`, host.monitorId, host.externalId, `/hosts/${id}`);
    const params = { monitor_id: host.monitorId, host_id: id, delete: true } as const;
    const queued = await this.tasks.enqueue('push_host', params, { idempotency });
    return { deleted: false, queued, monitorId: host.monitorId, hostId: id };
  }

  async deleteItem(id: number, onMonitor: boolean, idempotency?: IdempotencyKeyed): Promise<DeleteOutcome> {
    const item = await this.items.get(id);
    const host = await this.hosts.get(item.hostId);
    if (host.monitorId === null || !host.externalId || !item.externalId) {
      await this.items.remove(id);
      return { deleted: true };
    }
    if (!onMonitor) throw onMonitorConflict(`Item ${id}`, host.monitorId, item.externalId, `/items/${id}`);
    const params = { monitor_id: host.monitorId, host_id: host.id, item_id: id, delete: true } as const;
    const queued = await this.tasks.enqueue('push_item', params, { idempotency });
    return { deleted: false, queued, monitorId: host.monitorId, hostId: host.id, itemId: id };
  }
}

function onMonitorConflict(what: string, monitorId: number, externalId: string, path: string): ConflictError {
  return new ConflictError(
    `${what} is on monitor ${monitorId} (id ${externalId} there) and would come back with the next pull: ` +
      `DELETE ${path}?on_monitor=true deletes it on the monitor, then here`,
  );
}
