import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import type { Job, Queue } from 'bull';
import { hostname } from 'node:os';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { WebhookNotifier } from '../webhooks/webhook-notifier.service';
import { DeadLetters } from './dead-letters.service';
import { TaskQueues } from './task-queues';
import { type TaskData, type TaskType } from './task-types';

const SWEEP_EVERY_MS = 60_000;

/**
 * Moves a job this worker holds back to the front of its queue's wait list and drops its lock, so another worker
 * takes it at once rather than after Bull's 30-second stall check.
 */
const REQUEUE_ACTIVE = `
if redis.call('lrem', KEYS[1], 1, ARGV[1]) > 0 then
  redis.call('rpush', KEYS[2], ARGV[1])
  redis.call('del', KEYS[3])
  return 1
end
return 0`;

/**
 * Runs the task queues in a worker process: starts each processor's queue with its concurrency, buries tasks
 * that failed for good in the dead letters (and sweeps for any a crash left behind), and drains on shutdown.
 */
@Injectable()
export class TaskRuntime implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('worker');
  readonly workerName = `${hostname()}:${process.pid}`;
  private readonly processing = new Map<TaskType, Queue<TaskData>>();
  private readonly inFlight = new Map<string, { queue: Queue<TaskData>; job: Job<TaskData> }>();
  private sweepTimer?: NodeJS.Timeout;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly queues: TaskQueues,
    private readonly deadLetters: DeadLetters,
    private readonly webhooks: WebhookNotifier,
  ) {}

  get runsWorkers(): boolean {
    return this.config.role !== 'api';
  }

  /** Starts taking tasks of one type; called by that type's processor once the app has booted. */
  start(type: TaskType, handler: (job: Job<TaskData>) => Promise<unknown>): void {
    if (this.processing.has(type)) throw new Error(`Task type ${type} has two processors`);
    const queue = this.queues.of(type);
    this.processing.set(type, queue);
    queue.on('failed', (job: Job<TaskData>, error: Error) => {
      // finishedOn is set only when Bull gives up on the job (no retry left, or discarded).
      if (job.finishedOn) this.deadLetters.bury(job, error.message).catch((e: Error) => this.buryFailed(job, e));
    });
    // Bull emits 'completed' only once the completion is stored, so a callback never runs ahead of GET /tasks/:id.
    queue.on('completed', (job: Job<TaskData>, result: unknown) => {
      if (job.data.callback_url) void this.announceCompleted(job, result);
    });
    queue.on('stalled', (job: Job<TaskData>) => {
      this.logger.warn({ msg: `worker found task ${type}:${job.id} stalled; it runs again`, worker: this.workerName });
    });
    const concurrency = this.config.queue.concurrencyByType[type] ?? this.config.queue.concurrency;
    queue
      .process(concurrency, async (job: Job<TaskData>) => {
        const key = `${type}:${job.id}`;
        this.inFlight.set(key, { queue, job });
        try {
          return await handler(job);
        } finally {
          this.inFlight.delete(key);
        }
      })
      .catch((error: Error) => this.logger.error({ msg: `worker could not start ${type}`, err: error }));
    this.logger.log({ msg: `worker takes ${type} tasks`, worker: this.workerName, concurrency });
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.runsWorkers) return;
    this.sweepTimer = setInterval(() => void this.sweep(), SWEEP_EVERY_MS);
    this.sweepTimer.unref();
    void this.sweep();
  }

  /** SIGTERM: stop taking tasks, let the active ones finish within the timeout, requeue what could not. */
  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.sweepTimer);
    if (this.processing.size === 0) return;
    const timeoutMs = this.config.queue.shutdownTimeoutMs;
    this.logger.log({
      msg: 'worker draining',
      worker: this.workerName,
      active: this.inFlight.size,
      timeout_ms: timeoutMs,
    });
    const queues = [...this.processing.values()];
    // A local pause that does not wait: it stops the fetch loops and aborts the blocking pop at once. Bull's own
    // waiting pause leaves a reconnection promise unhandled when the process closes Redis before its jobs end.
    await Promise.all(queues.map((queue) => queue.pause(true, true).catch(() => undefined)));
    const drained = Promise.all(queues.map((queue) => currentJobsFinished(queue)));
    const finished = await Promise.race([drained.then(() => true), sleep(timeoutMs).then(() => false)]);
    if (finished) return;
    for (const [taskId, { queue, job }] of this.inFlight) {
      const keys = [queue.toKey('active'), queue.toKey('wait'), `${queue.toKey(String(job.id))}:lock`];
      const moved = await queue.client.eval(REQUEUE_ACTIVE, 3, ...keys, String(job.id)).catch(() => 0);
      this.logger.warn({
        msg: `worker requeued task ${taskId} it could not finish before shutdown`,
        worker: this.workerName,
        task_id: taskId,
        moved,
      });
    }
  }

  private async sweep(): Promise<void> {
    try {
      const buried = await this.deadLetters.sweep();
      if (buried > 0)
        this.logger.warn({ msg: `worker swept ${buried} failed tasks into the dead letters`, worker: this.workerName });
    } catch (error) {
      this.logger.warn({ msg: 'worker could not sweep the failed tasks', reason: (error as Error).message });
    }
  }

  private async announceCompleted(job: Job<TaskData>, result: unknown): Promise<void> {
    const taskId = `${job.data.type}:${job.id}`;
    try {
      await this.webhooks.completed(
        {
          taskId,
          type: job.data.type,
          params: job.data.params,
          callbackUrl: job.data.callback_url,
          attempts: job.attemptsMade + 1,
          finishedAt: job.finishedOn ?? Date.now(),
        },
        result,
      );
    } catch (error) {
      this.logger.error({ msg: `worker could not queue the webhook of task ${taskId}`, err: error as Error });
    }
  }

  private buryFailed(job: Job<TaskData>, error: Error): void {
    this.logger.error({ msg: `worker could not bury task ${job.data.type}:${job.id}; the sweep will`, err: error });
  }
}

/**
 * Resolves once the jobs this queue is running now have finished and their outcome is stored: Bull keeps one
 * promise per concurrency slot (not in its typings).
 */
function currentJobsFinished(queue: Queue): Promise<unknown> {
  const slots = (queue as Queue & { processing?: Record<string, Promise<unknown>> }).processing ?? {};
  return Promise.all(Object.values(slots).map((slot) => slot.catch(() => undefined)));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms).unref());
