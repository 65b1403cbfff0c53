import { Inject, Injectable, Logger } from '@nestjs/common';
import type { JobOptions } from 'bull';
import { ServiceUnavailableError } from '../common/http/domain-error';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { WebhookNotifier } from '../webhooks/webhook-notifier.service';
import { bounded } from './bounded';
import { RedisConnections } from './redis-connections';
import { TaskQueues } from './task-queues';
import { DEDUPLICATED, formatTaskId, type Payload, type TaskType } from './task-types';

/** The most an enqueue may take before the client gets 503 (the API promises an answer within 2 s). */
const ENQUEUE_TIMEOUT_MS = 1500;
const DEDUPE_LOCK_MS = 2000;

export interface EnqueuedTask {
  taskId: string;
  deduplicated: boolean;
}

/**
 * The only writer to the task queues. A task of the same type for the same target that is still waiting is
 * not queued again: its id comes back with `deduplicated`. With Redis down the caller gets a 503 within
 * ENQUEUE_TIMEOUT_MS, never a task id for a task that was not stored.
 */
@Injectable()
export class TaskProducer {
  private readonly logger = new Logger(TaskProducer.name);

  constructor(
    private readonly queues: TaskQueues,
    private readonly connections: RedisConnections,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly webhooks: WebhookNotifier,
  ) {}

  /** `callbackUrl` is checked against the webhook URL policy first: a 400 naming callback_url when refused. */
  async enqueue<T extends TaskType>(
    type: T,
    params: Payload<T>,
    extra: { callbackUrl?: string } = {},
  ): Promise<EnqueuedTask> {
    const redis = this.connections.commandClient;
    if (redis.status !== 'ready') throw new ServiceUnavailableError('Redis is unavailable; try again later');
    const callbackUrl = extra.callbackUrl ? await this.webhooks.checkCallbackUrl(extra.callbackUrl) : undefined;
    const work = DEDUPLICATED[type]
      ? this.enqueueDeduplicated(type, params, callbackUrl)
      : this.add(type, params, callbackUrl).then((taskId) => ({ taskId, deduplicated: false }));
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

  private async add<T extends TaskType>(type: T, params: Payload<T>, callbackUrl: string | undefined): Promise<string> {
    const job = await this.queues.of(type).add({ type, params, callback_url: callbackUrl }, this.jobOptions());
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

  private async enqueueDeduplicated<T extends TaskType>(
    type: T,
    params: Payload<T>,
    callbackUrl: string | undefined,
  ): Promise<EnqueuedTask> {
    const queue = this.queues.of(type);
    const redis = this.connections.commandClient;
    const key = `${this.config.queue.prefix}:dedupe:${type}:${targetKey(params)}`;
    const lock = `${key}:lock`;
    while ((await redis.set(lock, '1', 'PX', DEDUPE_LOCK_MS, 'NX')) !== 'OK') await pause(10);
    try {
      const existingId = await redis.get(key);
      if (existingId) {
        const existing = await queue.getJob(existingId);
        const state = existing ? await existing.getState() : undefined;
        if (state === 'waiting' || state === 'paused' || state === 'delayed') {
          return { taskId: formatTaskId(type, existingId), deduplicated: true };
        }
      }
      const taskId = await this.add(type, params, callbackUrl);
      await redis.set(key, taskId.slice(type.length + 1), 'EX', this.config.queue.retentionSeconds);
      return { taskId, deduplicated: false };
    } finally {
      await redis.del(lock);
    }
  }
}

/** The target of a task: its params in a stable order, so equal targets give equal keys. */
function targetKey(params: object): string {
  return Object.entries(params)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, value]) => `${name}=${String(value)}`)
    .join(',');
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
