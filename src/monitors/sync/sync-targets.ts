import { Injectable, type OnModuleInit } from '@nestjs/common';
import { TaskTargets } from '../../queue/task-targets';
import type { Payload } from '../../queue/task-types';
import { HostsService } from '../services/hosts.service';
import { ItemsService } from '../services/items.service';
import { MonitorsService } from '../services/monitors.service';

const SYNC_TASK_TYPES = ['pull_hosts', 'pull_items', 'pull_host', 'pull_item', 'push_host', 'push_item'] as const;
type SyncTaskType = (typeof SYNC_TASK_TYPES)[number];

/**
 * What a sync task needs to run, checked before it is queued (an async route, the schedule, a dead-letter retry):
 * the monitor exists and is enabled, the host is on it (a push: or on no monitor yet; a delete there: on it), the
 * item is on the host.
 * The answers are the synchronous routes': 404 for what is missing, 409 for a disabled monitor; and 409 for an
 * auth_failed one, which a synchronous route would try once more (an operator asked) but a task never does.
 */
@Injectable()
export class SyncTargets implements OnModuleInit {
  constructor(
    private readonly targets: TaskTargets,
    private readonly monitors: MonitorsService,
    private readonly hosts: HostsService,
    private readonly items: ItemsService,
  ) {}

  onModuleInit(): void {
    this.targets.register(SYNC_TASK_TYPES, (type, params) => this.assertRunnable(type, params));
  }

  async assertRunnable(type: SyncTaskType, params: Payload<SyncTaskType>): Promise<void> {
    // A payload with no usable ids (a dead letter's, say) is not judged here: the processor refuses it.
    const { delete: deleting, ...ids } = params as Payload<SyncTaskType> & { delete?: unknown };
    if (!Object.values(ids).every((id) => Number.isInteger(id) && id > 0)) return;
    await this.monitors.getQueueable(params.monitor_id);
    if (!('host_id' in params)) return;
    const pushing = (type === 'push_host' || type === 'push_item') && deleting === undefined;
    if (pushing) await this.hosts.getPushable(params.monitor_id, params.host_id);
    else await this.hosts.getOnMonitor(params.monitor_id, params.host_id);
    if ('item_id' in params) await this.items.getOnHost(params.host_id, params.item_id);
  }
}
