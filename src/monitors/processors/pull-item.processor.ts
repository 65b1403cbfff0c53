import { Processor } from '@nestjs/bull';
import type { ProgressReporter } from '../../queue/progress-reporter';
import { TaskHandler, type TaskRun } from '../../queue/task-handler.decorator';
import type { Payload } from '../../queue/task-types';
import type { SyncResult } from '../sync/sync-result';
import { SyncService } from '../sync/sync.service';

@Processor('pull_item')
export class PullItemProcessor {
  constructor(private readonly sync: SyncService) {}

  @TaskHandler('pull_item')
  handle(params: Payload<'pull_item'>, progress: ProgressReporter, task: TaskRun): Promise<SyncResult> {
    return this.sync.pullItem(params.monitor_id, params.host_id, params.item_id, {
      progress,
      task,
    });
  }
}
