import { Injectable } from '@nestjs/common';
import { COUNTED_STATES, type CountedState, stateKey } from './bull-internals';
import { redisReply } from '../redis/bounded';
import { DeadLetters } from './dead-letters.service';
import { RedisConnections } from '../redis/redis-connections';
import { QueuePauses } from './queue-pauses.service';
import { TaskQueues } from './task-queues';
import { TASK_TYPES, type TaskType } from './task-types';

export type QueueCounts = Record<CountedState, number>;

@Injectable()
export class QueueStatsService {
  constructor(
    private readonly queues: TaskQueues,
    private readonly deadLetters: DeadLetters,
    private readonly connections: RedisConnections,
    private readonly pauses: QueuePauses,
  ) {}

  /**
   * The guide's object: for each of the seven types, the tasks waiting to run (waiting + delayed), counting those
   * that wait in `paused` while their type is paused.
   */
  async pending(): Promise<Record<TaskType, number>> {
    const counts = await redisReply(this.connections.commandClient, () => this.counts());
    const pendingOf = ({ waiting, paused, delayed }: QueueCounts) => waiting + paused + delayed;
    return Object.fromEntries(TASK_TYPES.map((type) => [type, pendingOf(counts[type])])) as Record<TaskType, number>;
  }

  async detail(): Promise<{ queues: Record<TaskType, QueueCounts>; dead: number; paused_types: TaskType[] }> {
    const [queues, dead, paused] = await redisReply(this.connections.commandClient, () =>
      Promise.all([this.counts(), this.deadLetters.count(), this.pauses.pausedTypes()]),
    );
    return { queues, dead, paused_types: paused };
  }

  /**
   * Every queue's counts in one MULTI, one round trip, where Bull's getJobCounts and getPausedCount took two per
   * queue. The same commands as getJobCounts (LLEN of the lists, ZCARD of the sets), read the same way.
   */
  private async counts(): Promise<Record<TaskType, QueueCounts>> {
    const queues = this.queues.all();
    if (queues.length === 0) return {} as Record<TaskType, QueueCounts>;
    const multi = queues[0][1].multi();
    for (const [, queue] of queues) {
      for (const [, key, command] of COUNTED_STATES) multi[command](stateKey(queue, key));
    }
    const replies = ((await multi.exec()) ?? []) as [Error | null, unknown][];
    const counts = {} as Record<TaskType, QueueCounts>;
    queues.forEach(([type], q) => {
      const reply = (i: number) => Number(replies[q * COUNTED_STATES.length + i]?.[1] ?? 0) || 0;
      const entry = {} as QueueCounts;
      COUNTED_STATES.forEach(([field], i) => (entry[field] = reply(i)));
      counts[type] = entry;
    });
    return counts;
  }
}
