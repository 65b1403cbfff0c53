import { getQueueToken } from '@nestjs/bull';
import { Injectable, type OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { Queue } from 'bull';
import { DEAD_LETTER_QUEUE, TASK_TYPES, type TaskData, type TaskType } from './task-types';

/** The Bull queue of each task type, and the dead-letter queue, looked up once the queues exist. */
@Injectable()
export class TaskQueues implements OnModuleInit {
  private readonly queues = new Map<TaskType, Queue<TaskData>>();
  private deadQueue?: Queue;

  constructor(private readonly moduleRef: ModuleRef) {}

  onModuleInit(): void {
    for (const type of TASK_TYPES) this.queues.set(type, this.lookup(type));
    this.deadQueue = this.lookup(DEAD_LETTER_QUEUE);
  }

  get dead(): Queue {
    return this.deadQueue as Queue;
  }

  of<T extends TaskType>(type: T): Queue<TaskData<T>> {
    return this.queues.get(type) as unknown as Queue<TaskData<T>>;
  }

  all(): [TaskType, Queue<TaskData>][] {
    return [...this.queues.entries()];
  }

  private lookup(name: string): Queue<TaskData> {
    const queue = this.moduleRef.get<Queue<TaskData>>(getQueueToken(name), { strict: false });
    if (!queue) throw new Error(`Bull queue ${name} is not registered`);
    return queue;
  }
}
