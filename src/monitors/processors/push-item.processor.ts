import { Processor } from '@nestjs/bull';
import { type ProgressReporter, TaskProcessor } from '../../queue/task-processor';
import { TaskRuntime } from '../../queue/task-runtime.service';
import type { Payload } from '../../queue/task-types';
import type { SyncResult } from '../sync/sync-result';
import { SyncService } from '../sync/sync.service';
import { LOCK_WAIT_MS } from './lock-wait';

@Processor('push_item')
export class PushItemProcessor extends TaskProcessor<'push_item'> {
  constructor(
    runtime: TaskRuntime,
    private readonly sync: SyncService,
  ) {
    super(runtime);
  }

  protected run(params: Payload<'push_item'>, progress: ProgressReporter): Promise<SyncResult> {
    return this.sync.pushItem(params.monitor_id, params.host_id, params.item_id, {
      progress,
      waitForLockMs: LOCK_WAIT_MS,
    });
  }
}
