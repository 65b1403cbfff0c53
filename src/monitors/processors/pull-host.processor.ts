import { Processor } from '@nestjs/bull';
import type { ProgressReporter } from '../../queue/progress-reporter';
import { TaskHandler, type TaskRun } from '../../queue/task-handler.decorator';
import type { Payload } from '../../queue/task-types';
import type { SyncResult } from '../sync/sync-result';
import { SyncService } from '../sync/sync.service';

@Processor('pull_host')
export class PullHostProcessor {
  constructor(private readonly sync: SyncService) {}

  @TaskHandler('pull_host')
  handle(params: Payload<'pull_host'>, progress: ProgressReporter, task: TaskRun): Promise<SyncResult> {
    return this.sync.pullHost(params.monitor_id, params.host_id, { progress, task });
  }
}
