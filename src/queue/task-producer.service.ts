import { Inject, Injectable, Logger } from '@nestjs/common';
import type { JobOptions } from 'bull';
import { ServiceUnavailableError } from '../common/http/domain-error';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { bounded, REDIS_UNAVAILABLE } from '../redis/bounded';
import { RedisConnections } from '../redis/redis-connections';
import { holdWritesThisTurn } from '../redis/turn-writes';
import { TaskDedupe, type EnqueuedTask } from './task-dedupe';
import { TaskEndedHook } from './task-ended.hook';
import { TaskQueues } from './task-queues';
import { TaskTargets } from './task-targets';
import { DEDUPLICATED, formatTaskId, type Payload, type TaskType } from './task-types';

/** The most an enqueue may take before the client gets 503 (the API promises an answer within 2 s). */
const ENQUEUE_TIMEOUT_MS = 1200;

export type { EnqueuedTask };

/**
 * The only writer to the task queues. A task whose target is gone or disabled is not queued (TaskTargets: 404,
 * 409), so it cannot fail at once in a worker and reach the dead letters. A task of the same type for the same
 * target that has not started its work is not queued again: its id comes back with `deduplicated` (TaskDedupe).
 * With Redis down the
 * caller gets a 503 within ENQUEUE_TIMEOUT_MS, never a task id for a task that was not stored.
 */
@Injectable()
export class TaskProducer {
  private readonly logger = new Logger(TaskProducer.name);

  constructor(
    private readonly queues: TaskQueues,
    private readonly connections: RedisConnections,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly ended: TaskEndedHook,
    private readonly targets: TaskTargets,
    private readonly dedupe: TaskDedupe,
  ) {}

  /**
   * `callbackUrl` is checked by the task-ended listener (the webhooks' URL policy) first: a 400 naming callback_url
   * when refused. `jobId`, a number taken from the queue's own job counter beforehand (IdempotencyRecords), is the id
   * the job is added under; Bull adds nothing when a job with that id exists, and the task id answered is the same.
   */
  async enqueue<T extends TaskType>(
    type: T,
    params: Payload<T>,
    extra: { callbackUrl?: string; jobId?: string } = {},
  ): Promise<EnqueuedTask> {
    await this.targets.assertRunnable(type, params);
    const redis = this.connections.commandClient;
    if (redis.status !== 'ready') throw new ServiceUnavailableError(REDIS_UNAVAILABLE);
    const callbackUrl = extra.callbackUrl ? await this.ended.checkCallbackUrl(extra.callbackUrl) : undefined;
    const add = () => this.add(type, params, callbackUrl, extra.jobId);
    const work = DEDUPLICATED[type]
      ? this.dedupe.enqueue(type, params, add)
      : add().then((taskId) => ({ taskId, deduplicated: false }));
    return bounded(work, ENQUEUE_TIMEOUT_MS);
  }

  /** Bull's per-job settings every task gets: retries with exponential backoff, and bounded retention. */
  jobOptions(): JobOptions {
    const keepFor = { age: this.config.queue.retentionSeconds, count: this.config.queue.retentionCount };
    return {
      attempts: this.config.queue.maxRetries + 1,
      backoff: { type: 'exponential', delay: this.config.queue.backoffMs },
      removeOnComplete: keepFor,
      removeOnFail: keepFor,
    };
  }

  private async add<T extends TaskType>(
    type: T,
    params: Payload<T>,
    callbackUrl: string | undefined,
    jobId: string | undefined,
  ): Promise<string> {
    const options = jobId === undefined ? this.jobOptions() : { ...this.jobOptions(), jobId };
    holdWritesThisTurn(this.connections.commandClient);
    // Named by its type, so Bull Board lists `pull_hosts` rather than `__default__`; the worker takes any name.
    const job = await this.queues.of(type).add(type, { type, params, callback_url: callbackUrl }, options);
    const taskId = formatTaskId(type, job.id);
    // With redis.min_replicas_ack (Sentinel): a 202 only once replicas hold the task, so a failover keeps it.
    if (!(await this.connections.replicated())) {
      this.logger.warn({ msg: `task ${taskId} not confirmed by Redis replicas; answered 503`, task_id: taskId });
      throw new ServiceUnavailableError('Redis replicas did not confirm the task in time; try again later');
    }
    // At debug: the request's own line already records each enqueue at info, and this one cost the API a second
    // JSON line (with its redaction pass) per request.
    this.logger.debug({ msg: `task ${taskId} queued`, task_id: taskId, type, params });
    return taskId;
  }
}
