import { SetMetadata } from '@nestjs/common';
import type { ProgressReporter } from './progress-reporter';
import type { Payload, TaskType } from './task-types';

/** The metadata key @TaskHandler() stores its task type under, on the method. */
export const TASK_HANDLER = 'nagare:task_handler';

/** What a handler tells the queue about its run, beside its progress. */
export interface TaskRun {
  /**
   * The task holds what it needs (its monitor) and starts its work: a request for the same target from now on queues
   * a follow-up instead of getting this task back.
   */
  started(): Promise<void>;
}

/**
 * What a task handler is: the task's validated payload in, its result out. A handler that cannot start yet throws
 * TaskDeferredError: its slot goes to another task, and it runs again shortly without losing an attempt.
 */
export type TaskHandlerMethod<T extends TaskType> = (
  params: Payload<T>,
  progress: ProgressReporter,
  run: TaskRun,
) => Promise<unknown>;

/**
 * Marks the method that runs tasks of one type, on the class that `@Processor(type)` names as that type's
 * processor. Found at boot (TaskWorkers); a worker does not start unless every task type has exactly one.
 * A handler whose parameter is not that type's payload is a compile error.
 */
export function TaskHandler<T extends TaskType>(
  type: T,
): <M extends TaskHandlerMethod<T>>(
  target: object,
  key: string | symbol,
  descriptor: TypedPropertyDescriptor<M>,
) => void {
  return (target, key, descriptor) => {
    SetMetadata(TASK_HANDLER, type)(target, key, descriptor);
  };
}
