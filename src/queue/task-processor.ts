import { Logger, type OnApplicationBootstrap } from '@nestjs/common';
import type { Job } from 'bull';
import { isFinalFailure } from './task-errors';
import { validatePayload } from './task-payloads';
import { TaskRuntime } from './task-runtime.service';
import { formatTaskId, type Payload, type TaskData, type TaskType } from './task-types';

/** Metadata key @nestjs/bull's @Processor() stores the queue name under (not exported by the package). */
const BULL_MODULE_QUEUE = 'bull:module_queue';

/** Told how far a task has got: done of total units of its work. */
export type ProgressReporter = (done: number, total: number) => Promise<void>;

/**
 * What every task's processor does around its one call into a feature service: validate the payload, log each
 * attempt's start, end, duration and failure with the task id (lines that say `worker`), report progress 0-100,
 * and send a failure that can never succeed straight to the dead letters. Subclasses are thin: `@Processor(type)`
 * names the queue, `run` does the work.
 */
export abstract class TaskProcessor<T extends TaskType> implements OnApplicationBootstrap {
  private readonly logger = new Logger('worker');
  readonly type: T;

  protected constructor(private readonly runtime: TaskRuntime) {
    const options = Reflect.getMetadata(BULL_MODULE_QUEUE, new.target) as { name?: T } | undefined;
    if (!options?.name) throw new Error(`${new.target.name} needs @Processor(<task type>)`);
    this.type = options.name;
  }

  protected abstract run(params: Payload<T>, progress: ProgressReporter): Promise<unknown>;

  onApplicationBootstrap(): void {
    if (this.runtime.runsWorkers) this.runtime.start(this.type, (job) => this.execute(job as Job<TaskData<T>>));
  }

  private async execute(job: Job<TaskData<T>>): Promise<unknown> {
    const taskId = formatTaskId(this.type, job.id);
    const attempt = job.attemptsMade + 1;
    const context = {
      task_id: taskId,
      type: this.type,
      attempt,
      max_attempts: job.opts.attempts,
      worker: this.runtime.workerName,
    };
    const started = Date.now();
    this.logger.log({ msg: `worker started task ${taskId} (attempt ${attempt})`, ...context });
    try {
      const params = validatePayload(this.type, job.data.params);
      let reported = -1;
      const result = await this.run(params, async (done, total) => {
        const percent = total > 0 ? Math.min(100, Math.floor((done * 100) / total)) : 100;
        if (percent !== reported) {
          reported = percent;
          await job.progress(percent);
        }
      });
      // No final progress(100) here: a completed task reads as 100 (TaskStatusService), one Redis round trip less.
      this.logger.log({ msg: `worker completed task ${taskId}`, ...context, duration_ms: Date.now() - started });
      return result ?? null;
    } catch (error) {
      const final = isFinalFailure(error);
      if (final) await job.discard();
      const retries = final ? false : attempt < (job.opts.attempts ?? 1);
      this.logger.warn({
        msg: `worker failed task ${taskId}: ${(error as Error).message}`,
        ...context,
        duration_ms: Date.now() - started,
        error: (error as Error).message,
        final,
        will_retry: retries,
      });
      throw error;
    }
  }
}
