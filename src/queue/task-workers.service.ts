import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleInit } from '@nestjs/common';
import type { Job } from 'bull';
import { UnredactedLine } from '../common/logging/pino-logger.service';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { DeadLetters } from './dead-letters.service';
import type { ProgressReporter } from './progress-reporter';
import { TaskEndedHook } from './task-ended.hook';
import { TaskDedupe } from './task-dedupe';
import { isFinalFailure, TaskDeferredError } from './task-errors';
import { type FoundHandler, TaskHandlers } from './task-handlers';
import { validatePayload } from './task-payloads';
import { TaskQueues } from './task-queues';
import { formatTaskId, type TaskData, type TaskType } from './task-types';
import { WorkerHost } from './worker-host';

/**
 * The task queues on the worker host: each task type's queue runs its one @TaskHandler() with the type's
 * concurrency. Around the handler: validate the payload, log each attempt's start, end, duration and failure with
 * the task id (lines that say `worker`), send a failure that can never succeed straight to the dead letters, tell
 * the dedupe when the handler starts its work, and announce completions to the task-ended hook.
 */
@Injectable()
export class TaskWorkers implements OnModuleInit, OnApplicationBootstrap {
  private readonly logger = new Logger('worker');
  private handlers = new Map<TaskType, FoundHandler>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly host: WorkerHost,
    private readonly found: TaskHandlers,
    private readonly queues: TaskQueues,
    private readonly deadLetters: DeadLetters,
    private readonly ended: TaskEndedHook,
    private readonly dedupe: TaskDedupe,
  ) {}

  /** Fails the boot of a worker naming any task type without exactly one handler; an API process needs none. */
  onModuleInit(): void {
    if (this.host.runsWorkers) this.handlers = this.found.resolve();
  }

  onApplicationBootstrap(): void {
    for (const [type, handler] of this.handlers) {
      this.host.run<TaskData>({
        queue: this.queues.of(type),
        jobs: `${type} tasks`,
        concurrency: this.config.queue.concurrencyByType[type] ?? this.config.queue.concurrency,
        handle: (job, progress) => this.execute(type, handler, job, progress),
        isFinal: isFinalFailure,
        dead: this.deadLetters,
        completed: (job, result) => {
          if (job.data.callback_url) void this.announceCompleted(job, result);
        },
        describe: (job) => `task ${formatTaskId(type, job.id)}`,
      });
    }
  }

  private async execute(type: TaskType, handler: FoundHandler, job: Job<TaskData>, progress: ProgressReporter) {
    const taskId = formatTaskId(type, job.id);
    const attempt = job.attemptsMade + 1;
    const context = { task_id: taskId, type, attempt, max_attempts: job.opts.attempts, worker: this.host.workerName };
    const started = Date.now();
    // Ids, numbers and the worker's name: the two lines every task writes skip the redaction pass (UnredactedLine).
    this.logger.log(new UnredactedLine(`worker started task ${taskId} (attempt ${attempt})`, context));
    try {
      const params = validatePayload(type, job.data.params);
      const run = { started: () => this.dedupe.started(type, params, String(job.id)) };
      const result = await handler.run(params, progress, run);
      const duration = Date.now() - started;
      this.logger.log(new UnredactedLine(`worker completed task ${taskId}`, { ...context, duration_ms: duration }));
      return result ?? null;
    } catch (error) {
      if (error instanceof TaskDeferredError) {
        this.logger.log({ msg: `worker deferred task ${taskId}: ${error.message}`, ...context, deferred: true });
        throw error;
      }
      const final = isFinalFailure(error);
      this.logger.warn({
        msg: `worker failed task ${taskId}: ${(error as Error).message}`,
        ...context,
        duration_ms: Date.now() - started,
        error: (error as Error).message,
        final,
        will_retry: !final && attempt < (job.opts.attempts ?? 1),
      });
      throw error;
    }
  }

  private async announceCompleted(job: Job<TaskData>, result: unknown): Promise<void> {
    const taskId = formatTaskId(job.data.type, job.id);
    try {
      await this.ended.completed(
        {
          taskId,
          type: job.data.type,
          params: job.data.params,
          callbackUrl: job.data.callback_url,
          attempts: job.attemptsMade + 1,
          finishedAt: job.finishedOn ?? Date.now(),
        },
        result,
      );
    } catch (error) {
      this.logger.error({ msg: `worker could not announce the end of task ${taskId}`, err: error as Error });
    }
  }
}
