import { Injectable, UnprocessableEntityException } from '@nestjs/common';
import { redisReply } from '../../redis/bounded';
import { RedisConnections } from '../../redis/redis-connections';
import { type EnqueuedTask, TaskProducer } from '../task-producer.service';
import { parseTaskId, type Payload, type TaskType } from '../task-types';
import { IDEMPOTENCY_KEY_HEADER } from './idempotency-key';
import { IdempotencyRecords, type IdempotentRequest } from './idempotency-records';

/** A key read from a request, with the way to say in the answer that it replays an earlier one. */
export interface IdempotencyKeyed extends IdempotentRequest {
  /** Marks the answer `Idempotent-Replayed: true`. */
  markReplayed(): void;
}

/**
 * The async routes' way into the producer. Without a key, a plain enqueue: a 503 means "not known to be queued".
 * With one, the key is bound to a task id before the job is added (one Redis step), and the job is added under
 * that id; Bull adds nothing for an id it already holds. So a retry with the key, after a 503 or a 202, answers
 * the same task and never adds a second one, whether the first attempt's add landed, or only its binding did.
 */
@Injectable()
export class IdempotentTasks {
  constructor(
    private readonly producer: TaskProducer,
    private readonly records: IdempotencyRecords,
    private readonly connections: RedisConnections,
  ) {}

  enqueue<T extends TaskType>(
    type: T,
    params: Payload<T>,
    extra: { callbackUrl?: string; idempotency?: IdempotencyKeyed },
  ): Promise<EnqueuedTask> {
    const { idempotency, ...rest } = extra;
    if (!idempotency) return this.producer.enqueue(type, params, rest);
    // One bound for both steps: the answer still comes within the 2 s every queue route promises.
    return redisReply(this.connections.commandClient, () => this.enqueueOnce(type, params, rest, idempotency));
  }

  private async enqueueOnce<T extends TaskType>(
    type: T,
    params: Payload<T>,
    extra: { callbackUrl?: string },
    idempotency: IdempotencyKeyed,
  ): Promise<EnqueuedTask> {
    const record = await this.records.reserve(idempotency, type);
    const reserved = parseTaskId(record.taskId);
    if (record.fingerprint !== idempotency.fingerprint || reserved?.type !== type) {
      throw new UnprocessableEntityException(
        `${IDEMPOTENCY_KEY_HEADER} was already used with another request (method, path or body); use a new key`,
      );
    }
    let queued: EnqueuedTask = { taskId: record.taskId, deduplicated: false };
    if (!record.queued) {
      // The first attempt, or a retry of one that may have stopped between binding the key and adding the job.
      queued = await this.producer.enqueue(type, params, { ...extra, jobId: reserved.jobId });
      await this.records.confirm(idempotency, queued.taskId);
    }
    if (!record.created) idempotency.markReplayed();
    return queued;
  }
}
