import { Injectable } from '@nestjs/common';
import { UpstreamError } from '../../common/http/domain-error';
import { TaskDeferredError } from '../../queue/task-errors';
import type { TaskRun } from '../../queue/task-handler.decorator';
import { CredentialsUnreadableError } from '../credentials-cipher';
import type { Monitor } from '../entities/monitor.entity';
import { SyncStatus } from '../entities/sync-status';
import type { MonitorProvider, MonitorTarget } from '../providers/monitor-provider';
import { MonitorProviders } from '../providers/monitor-providers';
import { MonitorsService } from '../services/monitors.service';
import { statusOfUpstreamFailure } from './failure-status';
import { InventoryWriter } from './inventory-writer';
import { MonitorLock, SyncInProgressError } from './monitor-lock';
import type { ProgressListener } from './sync-result';
import { withSyncHeapGrowth } from './sync-heap-growth';

export interface SyncOptions {
  progress?: ProgressListener;
  /**
   * Set when a queued task runs the sync. Its monitor must not be auth_failed (409, final: a task never tries refused
   * credentials again), a busy monitor defers it (TaskDeferredError: its worker slot goes to other work meanwhile),
   * and it is told when it holds the monitor. Without it (an HTTP caller), a busy monitor answers 409 at once and an
   * auth_failed one is tried again.
   */
  task?: TaskRun;
}

/** An enabled monitor, the provider of its type, and where and how to call it. */
export interface MonitorSession {
  monitor: Monitor;
  provider: MonitorProvider;
  target: MonitorTarget;
}

/**
 * Work done on a monitor (a sync, a push, a delete there): under the monitor's lock, and with the monitor put in
 * status 2 when it cannot be reached (4 when it refused its credentials, or its stored ones cannot be decrypted any
 * more); one that was auth_failed and let the work in is active again. Only those failures mark the
 * monitor: the monitor refusing one object (MonitorRejectedObjectError) is that object's failure.
 */
@Injectable()
export class MonitorSessions {
  constructor(
    private readonly monitors: MonitorsService,
    private readonly providers: MonitorProviders,
    private readonly writer: InventoryWriter,
    private readonly lock: MonitorLock,
  ) {}

  async run<T>(monitorId: number, options: SyncOptions, work: (session: MonitorSession) => Promise<T>): Promise<T> {
    const { task } = options;
    const monitor = task ? await this.monitors.getQueueable(monitorId) : await this.monitors.getEnabled(monitorId);
    const provider = this.providers.for(monitor.type);
    try {
      return await this.lock.run(monitorId, 0, async () => {
        await task?.started();
        try {
          const target = this.monitors.target(monitor);
          const result = await withSyncHeapGrowth(() => work({ monitor, provider, target }));
          if (monitor.status === SyncStatus.AuthFailed) await this.credentialsAccepted(monitorId);
          return result;
        } catch (error) {
          if (error instanceof UpstreamError || error instanceof CredentialsUnreadableError)
            await this.writer.setMonitorStatus(monitorId, statusOfUpstreamFailure(error), error.message);
          else if (await this.isSyncing(monitorId)) {
            await this.writer.setMonitorStatus(monitorId, SyncStatus.Error, `Sync failed: ${(error as Error).message}`);
          }
          throw error;
        }
      });
    } catch (error) {
      if (!task || !(error instanceof SyncInProgressError)) throw error;
      throw new TaskDeferredError(`monitor ${monitorId} is busy with another sync; the task waits its turn`);
    }
  }

  /** A sync an operator ran on an auth_failed monitor got in: active again, unless the sync already said more. */
  private async credentialsAccepted(monitorId: number): Promise<void> {
    if ((await this.monitors.get(monitorId)).status !== SyncStatus.AuthFailed) return;
    await this.writer.setMonitorStatus(monitorId, SyncStatus.Active, 'The monitor accepted its credentials again');
  }

  private async isSyncing(monitorId: number): Promise<boolean> {
    return (await this.monitors.get(monitorId)).status === SyncStatus.Syncing;
  }
}
