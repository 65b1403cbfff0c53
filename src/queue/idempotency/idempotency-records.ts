import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { RedisConnections } from '../../redis/redis-connections';
import type { TaskType } from '../task-types';
import { IDEMPOTENCY_KEY_TTL_SECONDS, idempotencyRecordKey } from './idempotency-key';

/** A user's key, as the route read it from the request. */
export interface IdempotentRequest {
  userId: number;
  key: string;
  fingerprint: string;
}

/** What a key is bound to. */
export interface IdempotencyRecord {
  /** The request the key was first used with. */
  fingerprint: string;
  /** Chosen before the task was added: the task id the first request answered, or would have. */
  taskId: string;
  /** The add is known to have landed (or an equal waiting task was returned instead). */
  queued: boolean;
  /** This call bound the key; false when an earlier request had. */
  created: boolean;
}

/**
 * Binds the key to a new task id in one step, unless an earlier request bound it: then returns that binding.
 * The id comes from the Bull queue's own job counter (`<prefix>:<type>:id`, which Bull INCRs for every add), so
 * it can never be handed to another job, and the producer adds the job under it.
 */
const RESERVE = `
local found = redis.call('HMGET', KEYS[1], 'fingerprint', 'task_id', 'queued')
if found[1] then return {0, found[1], found[2], found[3]} end
local taskId = ARGV[3] .. ':' .. redis.call('INCR', KEYS[2])
redis.call('HSET', KEYS[1], 'fingerprint', ARGV[1], 'task_id', taskId, 'queued', '0')
redis.call('EXPIRE', KEYS[1], ARGV[2])
return {1, ARGV[1], taskId, '0'}
`;

/** Records the task the key answered with; a record that expired meanwhile is not brought back without a ttl. */
const CONFIRM = `
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSET', KEYS[1], 'task_id', ARGV[1], 'queued', '1') end
`;

/** Idempotency keys in Redis, beside the queues: `<queue.prefix>:idem:<user id>:<sha256(key)>`, kept 24 h. */
@Injectable()
export class IdempotencyRecords {
  constructor(
    private readonly connections: RedisConnections,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async reserve(request: IdempotentRequest, type: TaskType): Promise<IdempotencyRecord> {
    const counter = `${this.config.queue.prefix}:${type}:id`;
    const reply = (await this.connections.commandClient.eval(
      RESERVE,
      2,
      this.keyOf(request),
      counter,
      request.fingerprint,
      IDEMPOTENCY_KEY_TTL_SECONDS,
      type,
    )) as [number, string, string, string];
    const [created, fingerprint, taskId, queued] = reply;
    return { fingerprint, taskId, queued: queued === '1', created: created === 1 };
  }

  async confirm(request: IdempotentRequest, taskId: string): Promise<void> {
    await this.connections.commandClient.eval(CONFIRM, 1, this.keyOf(request), taskId);
  }

  private keyOf(request: IdempotentRequest): string {
    return idempotencyRecordKey(this.config.queue.prefix, request.userId, request.key);
  }
}
