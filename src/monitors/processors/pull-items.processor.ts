import { Processor } from '@nestjs/bull';
import { type ProgressReporter, TaskProcessor } from '../../queue/task-processor';
import { TaskRuntime } from '../../queue/task-runtime.service';
import type { Payload } from '../../queue/task-types';
import type { SyncResult } from '../sync/sync-result';
import { SyncService } from '../sync/sync.service';
import { LOCK_WAIT_MS } from './lock-wait';

@Processor('pull_items')
export class PullItemsProcessor extends TaskProcessor<'pull_items'> {
  constructor(
    runtime: TaskRuntime,
    private readonly sync: SyncService,
  ) {
    super(runtime);
  }

  protected run(params: Payload<'pull_items'>, progress: ProgressReporter): Promise<SyncResult> {
    return this.sync.pullItems(params.monitor_id, params.host_id, { progress, waitForLockMs: LOCK_WAIT_MS });
  }
}
