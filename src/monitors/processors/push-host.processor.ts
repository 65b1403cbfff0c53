import { Processor } from '@nestjs/bull';
import type { ProgressReporter } from '../../queue/progress-reporter';
import { TaskHandler, type TaskRun } from '../../queue/task-handler.decorator';
import type { Payload } from '../../queue/task-types';
import { MonitorDeletes } from '../sync/monitor-deletes';
import type { SyncResult } from '../sync/sync-result';
import { SyncService } from '../sync/sync.service';

/** Writes a host to its monitor: creates or updates it, or with `delete` deletes it there and here. */
@Processor('push_host')
export class PushHostProcessor {
  constructor(
    private readonly sync: SyncService,
    private readonly deletes: MonitorDeletes,
  ) {}

  @TaskHandler('push_host')
  handle(params: Payload<'push_host'>, progress: ProgressReporter, task: TaskRun): Promise<SyncResult> {
    const options = { progress, task };
    if (params.delete) return this.deletes.deleteHost(params.monitor_id, params.host_id, options);
    return this.sync.pushHost(params.monitor_id, params.host_id, options);
  }
}
