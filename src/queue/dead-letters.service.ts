import { Injectable, Logger } from '@nestjs/common';
import type { Job } from 'bull';
import { NotFoundError } from '../common/http/domain-error';
import { redactCallbackUrl } from '../common/logging/redact-callback-url';
import { redisReply } from '../redis/bounded';
import { RedisConnections } from '../redis/redis-connections';
import { buryUnburied, type DeadQueue } from './dead-queue';
import { TaskEndedHook } from './task-ended.hook';
import { TaskQueues } from './task-queues';
import { formatTaskId, parseTaskId, type TaskData, type TaskType } from './task-types';

/** A task that failed for good, as kept in the dead-letter queue `<prefix>:dead`. */
export interface DeadLetter {
  task_id: string;
  type: TaskType;
  params: object;
  error: string;
  attempts: number;
  failed_at: string;
  callback_url?: string;
}

/** A letter as the API shows it: its callback URL with the secrets it may hold redacted. */
export function shownLetter(letter: DeadLetter): DeadLetter {
  return letter.callback_url ? { ...letter, callback_url: redactCallbackUrl(letter.callback_url) } : letter;
}

/**
 * The dead-letter queue: a Bull queue with no worker, whose job ids are the dead tasks' ids. Burying a task is
 * idempotent (Bull ignores an add with an id it already holds), so the start-up sweep can bury again whatever a
 * crashed process failed to move, without duplicates. What requests call (list, get, find, remove, purge) answers
 * 503 at once with Redis down and within REDIS_REPLY_TIMEOUT_MS of each reply with Redis stalled; what workers
 * call (bury, sweep) waits for Redis.
 */
@Injectable()
export class DeadLetters implements DeadQueue<TaskData> {
  private readonly logger = new Logger('worker');

  constructor(
    private readonly queues: TaskQueues,
    private readonly ended: TaskEndedHook,
    private readonly connections: RedisConnections,
  ) {}

  async bury(job: Job<TaskData>, reason: string): Promise<void> {
    const taskId = formatTaskId(job.data.type, job.id);
    const letter: DeadLetter = {
      task_id: taskId,
      type: job.data.type,
      params: job.data.params,
      error: reason,
      attempts: job.attemptsMade,
      failed_at: new Date(job.finishedOn ?? Date.now()).toISOString(),
      callback_url: job.data.callback_url,
    };
    await this.queues.dead.add(letter.type, letter, { jobId: taskId, removeOnComplete: false, removeOnFail: false });
    this.logger.warn({
      msg: `worker moved task ${taskId} to the dead letters`,
      task_id: taskId,
      type: letter.type,
      error: reason,
      attempts: letter.attempts,
    });
    // After the letter is stored, so a receiver that looks the task up finds it dead; idempotent per task.
    await this.ended.dead(
      {
        taskId,
        type: letter.type,
        params: letter.params,
        callbackUrl: letter.callback_url,
        attempts: letter.attempts,
        finishedAt: Date.parse(letter.failed_at),
      },
      reason,
    );
  }

  /** Buries every task that ended failed but never reached the dead letters (a process died in between). */
  async sweep(): Promise<number> {
    let buried = 0;
    for (const [, queue] of this.queues.all()) buried += await buryUnburied(queue, this);
    return buried;
  }

  async holds(job: Job<TaskData>): Promise<boolean> {
    return Boolean(await this.queues.dead.getJob(formatTaskId(job.data.type, job.id)));
  }

  async count(): Promise<number> {
    return this.queues.dead.getWaitingCount();
  }

  /** Newest first, optionally of one type. */
  list(limit: number, offset: number, type?: TaskType): Promise<{ items: DeadLetter[]; total: number }> {
    return this.reply(async () => {
      if (!type) {
        const [letters, total] = await Promise.all([this.newestFirst(offset, offset + limit - 1), this.count()]);
        return { items: letters, total };
      }
      const matching = (await this.newestFirst(0, -1)).filter((letter) => letter.type === type);
      return { items: matching.slice(offset, offset + limit), total: matching.length };
    });
  }

  /**
   * Bull pushes each new job on the head of the wait list, and getWaiting() reads the list tail first (the order
   * a worker would take them): oldest first. Read from the head instead; a letter removed meanwhile is skipped.
   */
  private async newestFirst(start: number, end: number): Promise<DeadLetter[]> {
    const jobs = await this.queues.dead.getJobs(['waiting'], start, end, false);
    return jobs.filter((job): job is Job => Boolean(job)).map((job) => job.data as DeadLetter);
  }

  async get(taskId: string): Promise<DeadLetter> {
    const letter = await this.find(taskId);
    if (!letter) throw new NotFoundError(`Dead letter ${taskId} not found`);
    return letter;
  }

  /** Whether the task is in the dead letters, without failing when it is not. */
  find(taskId: string): Promise<DeadLetter | undefined> {
    return this.reply(async () => {
      const job = await this.queues.dead.getJob(taskId);
      return job ? (job.data as DeadLetter) : undefined;
    });
  }

  /** Removes the letter and the failed job it came from (which the sweep would otherwise bury again). */
  remove(taskId: string): Promise<void> {
    return this.reply(async () => {
      const job = await this.queues.dead.getJob(taskId);
      if (!job) throw new NotFoundError(`Dead letter ${taskId} not found`);
      await this.removeOriginal(taskId);
      await job.remove();
    });
  }

  /** Removes the letter only: its task was queued again under its own id (a retry on the dashboard). */
  async forget(taskId: string): Promise<void> {
    const job = await this.queues.dead.getJob(taskId);
    const parsed = parseTaskId(taskId);
    const original = parsed ? await this.queues.of(parsed.type).getJob(parsed.jobId) : null;
    if (job && original && !(await original.isFailed())) await job.remove();
  }

  /** Removes the letters of the type whose task is no longer failed: the dashboard queued them all again. */
  async forgetRequeued(type: TaskType): Promise<void> {
    for (const letter of await this.newestFirst(0, -1)) if (letter.type === type) await this.forget(letter.task_id);
  }

  /** Each letter's removal is bounded on its own: a long purge on a healthy Redis is not cut short. */
  async purge(): Promise<number> {
    const jobs = await this.reply(() => this.queues.dead.getWaiting(0, -1));
    for (const job of jobs) {
      await this.reply(async () => {
        await this.removeOriginal(String(job.id));
        await job.remove();
      });
    }
    return jobs.length;
  }

  private async removeOriginal(taskId: string): Promise<void> {
    const parsed = parseTaskId(taskId);
    if (!parsed) return;
    const original = await this.queues.of(parsed.type).getJob(parsed.jobId);
    if (original && (await original.isFailed())) await original.remove();
  }

  private reply<T>(work: () => Promise<T>): Promise<T> {
    return redisReply(this.connections.commandClient, work);
  }
}
