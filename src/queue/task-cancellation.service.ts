import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConflictError, InvalidInputError } from '../common/http/domain-error';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { redisReply } from '../redis/bounded';
import { RedisConnections } from '../redis/redis-connections';
import { cancelJob } from './bull-internals';
import { TaskEndedHook } from './task-ended.hook';
import { TaskQueues } from './task-queues';
import { type TaskStatus, TaskStatusService } from './task-status.service';
import { parseTaskId, type TaskData } from './task-types';

/**
 * DELETE /tasks/:task_id: a task no worker has taken yet (waiting, paused or delayed for a retry) is taken out of its
 * queue in one Redis step and kept as `cancelled` for `queue.retention`; an active or ended one is left alone (409).
 * A worker fetching the task at the same moment either got it first (409) or never sees it (cancelled).
 */
@Injectable()
export class TaskCancellation {
  private readonly logger = new Logger('queue');

  constructor(
    private readonly queues: TaskQueues,
    private readonly status: TaskStatusService,
    private readonly ended: TaskEndedHook,
    private readonly connections: RedisConnections,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async cancel(taskId: string, username: string): Promise<TaskStatus> {
    const parsed = parseTaskId(taskId);
    if (!parsed) throw new InvalidInputError('task_id must be <type>:<number>, e.g. pull_hosts:42');
    const queue = this.queues.of(parsed.type);
    const keepMs = this.config.queue.retentionSeconds * 1000;
    const outcome = await redisReply(this.connections.commandClient, () => cancelJob(queue, parsed.jobId, keepMs));
    if (outcome !== 'done') {
      // Read after the refusal, for its message only: a dead letter whose job was trimmed still answers `dead`.
      const current = await this.status.get(taskId);
      throw new ConflictError(`Task ${taskId} is ${current.state}: only a waiting or delayed task can be cancelled`);
    }
    const cancelled = await this.status.get(taskId);
    this.logger.log({ msg: `${username} cancelled task ${taskId}`, task_id: taskId, username });
    const job = await redisReply(this.connections.commandClient, () => queue.getJob(parsed.jobId));
    await this.announce(taskId, job?.data, cancelled);
    return cancelled;
  }

  /** Queues the `task.cancelled` webhook; the cancel stands even when that fails (logged). */
  private async announce(taskId: string, data: TaskData | undefined, task: TaskStatus): Promise<void> {
    if (!data?.callback_url) return;
    try {
      await this.ended.cancelled({
        taskId,
        type: data.type,
        params: data.params,
        callbackUrl: data.callback_url,
        attempts: task.attempts_made,
        finishedAt: Date.parse(task.finished_at ?? new Date().toISOString()),
      });
    } catch (error) {
      this.logger.error({ msg: `could not queue the task.cancelled webhook of ${taskId}`, err: error as Error });
    }
  }
}
