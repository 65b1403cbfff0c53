import { Processor } from '@nestjs/bull';
import type { ProgressReporter } from '../../queue/progress-reporter';
import { TaskHandler, type TaskRun } from '../../queue/task-handler.decorator';
import type { Payload } from '../../queue/task-types';
import type { SyncResult } from '../sync/sync-result';
import { SyncService } from '../sync/sync.service';

@Processor('pull_items')
export class PullItemsProcessor {
  constructor(private readonly sync: SyncService) {}

  @TaskHandler('pull_items')
  handle(params: Payload<'pull_items'>, progress: ProgressReporter, task: TaskRun): Promise<SyncResult> {
    return this.sync.pullItems(params.monitor_id, params.host_id, { progress, task });
  }
}
