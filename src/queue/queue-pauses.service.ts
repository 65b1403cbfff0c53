import { Injectable, Logger } from '@nestjs/common';
import { InvalidInputError } from '../common/http/domain-error';
import { redisReply } from '../redis/bounded';
import { RedisConnections } from '../redis/redis-connections';
import { TaskQueues } from './task-queues';
import { isTaskType, TASK_TYPES, type TaskType } from './task-types';

export interface PauseState {
  type: TaskType;
  paused: boolean;
}

/**
 * Pauses and resumes one task type for every worker, with Bull's global pause: it renames the queue's wait list to
 * `paused` and sets `meta-paused` in Redis, so Bull's own scripts add new jobs, due retries and stalled jobs to the
 * paused list, and no worker's fetch finds anything, whichever process runs it or starts later. Active tasks run on.
 * The state lives in Redis only, so it outlives every process; resuming renames the list back.
 */
@Injectable()
export class QueuePauses {
  private readonly logger = new Logger('queue');

  constructor(
    private readonly queues: TaskQueues,
    private readonly connections: RedisConnections,
  ) {}

  pause(type: string, username: string): Promise<PauseState> {
    return this.set(type, true, username);
  }

  resume(type: string, username: string): Promise<PauseState> {
    return this.set(type, false, username);
  }

  /** The task types paused now, in the catalogue's order. */
  async pausedTypes(): Promise<TaskType[]> {
    const states = await Promise.all(TASK_TYPES.map((type) => this.queues.of(type).isPaused()));
    return TASK_TYPES.filter((_, i) => states[i]);
  }

  private async set(type: string, paused: boolean, username: string): Promise<PauseState> {
    if (!isTaskType(type)) throw new InvalidInputError(`type must be one of: ${TASK_TYPES.join(', ')}`);
    const queue = this.queues.of(type);
    await redisReply(this.connections.commandClient, () => (paused ? queue.pause() : queue.resume()));
    this.logger.log({ msg: `${username} ${paused ? 'paused' : 'resumed'} ${type} tasks`, type, username });
    return { type, paused };
  }
}
