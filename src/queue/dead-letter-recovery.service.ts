import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConflictError, DomainError } from '../common/http/domain-error';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { bounded, REDIS_REPLY_TIMEOUT_MS, redisReply } from '../redis/bounded';
import { type DeadLetter, DeadLetters } from './dead-letters.service';
import { type DeadLetterSummary, summariseDeadLetters } from './dead-letter-summary';
import { normaliseErrorReason } from './error-reason';
import { RedisConnections } from '../redis/redis-connections';
import { type EnqueuedTask, TaskProducer } from './task-producer.service';
import { parseTaskId, type TaskType } from './task-types';
import { IdempotencyRecords } from './idempotency/idempotency-records';

/** Every dead letter, in one read (DeadLetters.list takes a page size). */
const EVERY_LETTER = Number.MAX_SAFE_INTEGER;
/** How long a retry holds its letter: far longer than an enqueue may take (1.2 s). */
const CLAIM_MS = 10_000;
/** The owner of a dead letter's retry binding: no user has id 0, so no user's Idempotency-Key can meet it. */
const SYSTEM_USER = 0;

export interface RetriedTask {
  /** The new task. */
  task_id: string;
  retried_from: string;
  /** True when an identical task was already waiting and that one was returned instead. */
  deduplicated: boolean;
}

export interface BulkRetryFilter {
  type?: TaskType;
  /** A normalised reason, as GET /queue/dead/summary lists it. */
  reason?: string;
  /** At most this many letters, oldest first. */
  limit: number;
}

export interface BulkRetryResult {
  retried: number;
  tasks: RetriedTask[];
  /** Letters that could not be queued again (their callback URL is now refused, say); they stay dead letters. */
  failed: { retried_from: string; error: string }[];
  /** Letters whose target is gone or disabled, so the task would fail again at once; they stay dead letters. */
  skipped: { task_id: string; reason: string }[];
  /** Letters that matched but were left for a later call (past the limit). */
  remaining: number;
}

/** 409: the letter's task would fail again at once (its monitor, host or item is gone, or the monitor disabled). */
export class DeadLetterTargetError extends ConflictError {
  constructor(
    taskId: string,
    readonly reason: string,
  ) {
    super(`Dead letter ${taskId} cannot be retried: ${reason}`);
  }
}

/** Looks at the dead letters as a whole, and puts them back to work one by one or in bulk. */
@Injectable()
export class DeadLetterRecovery {
  private readonly logger = new Logger('queue');

  constructor(
    private readonly deadLetters: DeadLetters,
    private readonly producer: TaskProducer,
    private readonly records: IdempotencyRecords,
    private readonly connections: RedisConnections,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async summary(): Promise<DeadLetterSummary> {
    return summariseDeadLetters(await this.all());
  }

  /**
   * Queues the letter's task again as a new task (same type, params and callback), then drops the letter. The
   * letter stays when queuing fails, so nothing is lost. Two retries of one letter at once (two operators, two
   * bulk retries) would queue it twice: the first claims it in Redis, the other gets a ConflictError (409).
   */
  async retry(letter: DeadLetter): Promise<RetriedTask> {
    const claim = `${this.config.queue.prefix}:dead-retry:${letter.task_id}`;
    const redis = this.connections.commandClient;
    if ((await redisReply(redis, () => redis.set(claim, '1', 'PX', CLAIM_MS, 'NX'))) !== 'OK') {
      throw new ConflictError(`Dead letter ${letter.task_id} is being retried already`);
    }
    try {
      // Claimed after another retry finished: the letter is gone, and must not be queued again.
      if (!(await this.deadLetters.find(letter.task_id))) {
        throw new ConflictError(`Dead letter ${letter.task_id} was retried or removed meanwhile`);
      }
      const { taskId, deduplicated } = await this.enqueueAgain(letter);
      await this.deadLetters.remove(letter.task_id);
      return { task_id: taskId, retried_from: letter.task_id, deduplicated };
    } finally {
      // Left to expire when Redis does not answer: the claim only holds off other retries for CLAIM_MS.
      await bounded(redis.del(claim), REDIS_REPLY_TIMEOUT_MS).catch(() => undefined);
    }
  }

  /**
   * Retries, oldest first, the letters of the type and/or the normalised reason, up to the limit. A letter
   * another caller retried or removed meanwhile is left out; one whose target is gone is reported as skipped.
   */
  async retryMatching(filter: BulkRetryFilter): Promise<BulkRetryResult> {
    const matching = (await this.all())
      .filter((letter) => !filter.type || letter.type === filter.type)
      .filter((letter) => filter.reason === undefined || normaliseErrorReason(letter.error) === filter.reason)
      .reverse();
    const tasks: RetriedTask[] = [];
    const failed: BulkRetryResult['failed'] = [];
    const skipped: BulkRetryResult['skipped'] = [];
    for (const letter of matching.slice(0, filter.limit)) {
      try {
        tasks.push(await this.retry(letter));
      } catch (error) {
        if (error instanceof DeadLetterTargetError) {
          skipped.push({ task_id: letter.task_id, reason: error.reason });
          continue;
        }
        // Retried or removed by someone else meanwhile: not ours to report.
        if (error instanceof ConflictError) continue;
        // One letter's own problem must not stop the others; Redis down stops them all (503).
        if (!(error instanceof DomainError) || error.kind !== 'invalid') throw error;
        failed.push({ retried_from: letter.task_id, error: error.message });
      }
    }
    this.logger.log({
      msg: `retried ${tasks.length} dead letters`,
      type: filter.type ?? null,
      reason: filter.reason ?? null,
      matched: matching.length,
      failed: failed.length,
      skipped: skipped.length,
    });
    const remaining = Math.max(0, matching.length - filter.limit);
    return { retried: tasks.length, tasks, failed, skipped, remaining };
  }

  /**
   * The producer refuses a task whose target is gone (404) or disabled (409): for a letter, a 409 naming why.
   * The new task's id is bound to the letter before the job is added, as an Idempotency-Key binds one: a retry
   * that answered 503 while its add still landed (Redis stalled), or that stopped before dropping the letter, is
   * retried under the same id, and Bull adds nothing for an id it holds. So a letter is never queued twice.
   */
  private async enqueueAgain(letter: DeadLetter): Promise<EnqueuedTask> {
    const binding = { userId: SYSTEM_USER, key: `dead-letter-retry:${letter.task_id}`, fingerprint: letter.task_id };
    const redis = this.connections.commandClient;
    const record = await redisReply(redis, () => this.records.reserve(binding, letter.type));
    if (record.queued) return { taskId: record.taskId, deduplicated: false };
    try {
      const jobId = parseTaskId(record.taskId)?.jobId;
      const options = { callbackUrl: letter.callback_url, jobId };
      const queued = await this.producer.enqueue(letter.type, letter.params as never, options);
      await redisReply(redis, () => this.records.confirm(binding, queued.taskId));
      return queued;
    } catch (error) {
      const refused = error instanceof DomainError && (error.kind === 'not_found' || error.kind === 'conflict');
      if (refused) throw new DeadLetterTargetError(letter.task_id, error.message);
      throw error;
    }
  }

  /** Newest first. */
  private async all(): Promise<DeadLetter[]> {
    return (await this.deadLetters.list(EVERY_LETTER, 0)).items;
  }
}
