import { Processor } from '@nestjs/bull';
import type { ProgressReporter } from '../../queue/progress-reporter';
import { TaskHandler, type TaskRun } from '../../queue/task-handler.decorator';
import type { Payload } from '../../queue/task-types';
import type { SyncResult } from '../sync/sync-result';
import { SyncService } from '../sync/sync.service';

@Processor('pull_hosts')
export class PullHostsProcessor {
  constructor(private readonly sync: SyncService) {}

  @TaskHandler('pull_hosts')
  handle(params: Payload<'pull_hosts'>, progress: ProgressReporter, task: TaskRun): Promise<SyncResult> {
    return this.sync.pullHosts(params.monitor_id, { progress, task });
  }
}
