import { Processor } from '@nestjs/bull';
import { type ProgressReporter, TaskProcessor } from '../../queue/task-processor';
import { TaskRuntime } from '../../queue/task-runtime.service';
import type { Payload } from '../../queue/task-types';
import type { SyncResult } from '../sync/sync-result';
import { SyncService } from '../sync/sync.service';
import { LOCK_WAIT_MS } from './lock-wait';

@Processor('pull_item')
export class PullItemProcessor extends TaskProcessor<'pull_item'> {
  constructor(
    runtime: TaskRuntime,
    private readonly sync: SyncService,
  ) {
    super(runtime);
  }

  protected run(params: Payload<'pull_item'>, progress: ProgressReporter): Promise<SyncResult> {
    return this.sync.pullItem(params.monitor_id, params.host_id, params.item_id, {
      progress,
      waitForLockMs: LOCK_WAIT_MS,
    });
  }
}
