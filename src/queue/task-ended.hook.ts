import { Injectable } from '@nestjs/common';
import { InvalidInputError } from '../common/http/domain-error';

/** A task as it ended, with the callback its client asked for. */
export interface EndedTask {
  taskId: string;
  type: string;
  params: object;
  callbackUrl?: string;
  attempts: number;
  finishedAt: number;
}

/**
 * What a feature that acts on ended tasks implements (the webhooks do): the queue calls it and imports no feature.
 * Each call must be idempotent per task: a re-run or a second bury may announce the same end again.
 */
export interface TaskEndedListener {
  /** Checks a callback URL at enqueue: the URL to store with the task, or an error naming callback_url. */
  checkCallbackUrl(url: string): Promise<string>;
  completed(task: EndedTask, result: unknown): Promise<void>;
  dead(task: EndedTask, error: string): Promise<void>;
  /** An operator cancelled the task before it ran (DELETE /tasks/:task_id). */
  cancelled(task: EndedTask): Promise<void>;
}

/** Where the queue announces that tasks end, and where a listener subscribes (once, at module init). */
@Injectable()
export class TaskEndedHook {
  private listener?: TaskEndedListener;

  subscribe(listener: TaskEndedListener): void {
    if (this.listener) throw new Error('TaskEndedHook has a listener already');
    this.listener = listener;
  }

  async checkCallbackUrl(url: string): Promise<string> {
    if (!this.listener) throw new InvalidInputError('callback_url cannot be used: this service delivers no callbacks');
    return this.listener.checkCallbackUrl(url);
  }

  async completed(task: EndedTask, result: unknown): Promise<void> {
    await this.listener?.completed(task, result);
  }

  async dead(task: EndedTask, error: string): Promise<void> {
    await this.listener?.dead(task, error);
  }

  async cancelled(task: EndedTask): Promise<void> {
    await this.listener?.cancelled(task);
  }
}
