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

  private async counts(): Promise<Record<TaskType, QueueCounts>> {
    const entries = await bounded(
      Promise.all(
        this.queues.all().map(async ([type, queue]) => {
          const counts = await queue.getJobCounts();
          const paused = await queue.getPausedCount();
          return [type, { ...counts, paused }] as const;
        }),
      ),
      READ_TIMEOUT_MS,
    );
    return Object.fromEntries(entries) as Record<TaskType, QueueCounts>;
  }
}
