import { Injectable } from '@nestjs/common';
import type { Payload, TaskType } from './task-types';

/** Throws the feature's DomainError (404: the target is gone, 409: it is disabled) when the task cannot run now. */
export type TargetCheck<T extends TaskType = TaskType> = (type: T, params: Payload<T>) => Promise<void>;

/**
 * Whether a task can run on its target, asked by the producer before anything is queued. The queue knows no
 * feature: each feature registers the check of its task types at start, as it brings their processors. A type
 * with no check (generate_alerts) is always queued.
 */
@Injectable()
export class TaskTargets {
  private readonly checks = new Map<TaskType, TargetCheck>();

  register<T extends TaskType>(types: readonly T[], check: TargetCheck<T>): void {
    for (const type of types) {
      if (this.checks.has(type)) throw new Error(`Task type ${type} has two target checks`);
      this.checks.set(type, check as TargetCheck);
    }
  }

  async assertRunnable<T extends TaskType>(type: T, params: Payload<T>): Promise<void> {
    await this.checks.get(type)?.(type, params);
  }
}
