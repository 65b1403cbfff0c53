import { Injectable } from '@nestjs/common';
import { bounded } from './bounded';
import { DeadLetters } from './dead-letters.service';
import { TaskQueues } from './task-queues';
import { TASK_TYPES, type TaskType } from './task-types';

export interface QueueCounts {
  waiting: number;
  active: number;
  delayed: number;
  completed: number;
  failed: number;
  paused: number;
}

const READ_TIMEOUT_MS = 2000;

@Injectable()
export class QueueStatsService {
  constructor(
    private readonly queues: TaskQueues,
    private readonly deadLetters: DeadLetters,
  ) {}

  /** The guide's object: for each of the seven types, the tasks waiting to run (waiting + delayed). */
  async pending(): Promise<Record<TaskType, number>> {
    const counts = await this.counts();
    return Object.fromEntries(TASK_TYPES.map((type) => [type, counts[type].waiting + counts[type].delayed])) as Record<
      TaskType,
      number
    >;
  }

  async detail(): Promise<{ queues: Record<TaskType, QueueCounts>; dead: number }> {
    const [queues, dead] = await bounded(Promise.all([this.counts(), this.deadLetters.count()]), READ_TIMEOUT_MS);
    return { queues, dead };
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
      for (const [, key, command] of COUNTED) multi[command](queue.toKey(key));
    }
    const replies = ((await bounded(multi.exec(), READ_TIMEOUT_MS)) ?? []) as [Error | null, unknown][];
    const counts = {} as Record<TaskType, QueueCounts>;
    queues.forEach(([type], q) => {
      const reply = (i: number) => Number(replies[q * COUNTED.length + i]?.[1] ?? 0) || 0;
      const entry = {} as QueueCounts;
      COUNTED.forEach(([field], i) => (entry[field] = reply(i)));
      counts[type] = entry;
    });
    return counts;
  }
}

/** Each count: its field, Bull's key for it, and the command that counts that key. */
const COUNTED: readonly (readonly [keyof QueueCounts, string, 'llen' | 'zcard'])[] = [
  ['waiting', 'wait', 'llen'],
  ['active', 'active', 'llen'],
  ['completed', 'completed', 'zcard'],
  ['failed', 'failed', 'zcard'],
  ['delayed', 'delayed', 'zcard'],
  ['paused', 'paused', 'llen'],
];
