import { Processor } from '@nestjs/bull';
import { type ProgressReporter, TaskProcessor } from '../../queue/task-processor';
import { TaskRuntime } from '../../queue/task-runtime.service';
import type { Payload } from '../../queue/task-types';
import type { SyncResult } from '../sync/sync-result';
import { SyncService } from '../sync/sync.service';
import { LOCK_WAIT_MS } from './lock-wait';

@Processor('push_host')
export class PushHostProcessor extends TaskProcessor<'push_host'> {
  constructor(
    runtime: TaskRuntime,
    private readonly sync: SyncService,
  ) {
    super(runtime);
  }

  protected run(params: Payload<'push_host'>, progress: ProgressReporter): Promise<SyncResult> {
    return this.sync.pushHost(params.monitor_id, params.host_id, { progress, waitForLockMs: LOCK_WAIT_MS });
  }
}
