import type { Job } from 'bull';

/** Told how far a task has got: done of total units of its work. */
export type ProgressReporter = (done: number, total: number) => Promise<void>;

/**
 * Stores the job's progress as a percentage, only when it changes. No final 100 on completion: a completed task
 * reads as 100 (TaskStatusService), one Redis round trip less per task.
 */
export function progressReporter(job: Job<unknown>): ProgressReporter {
  let reported = -1;
  return async (done, total) => {
    const percent = total > 0 ? Math.min(100, Math.floor((done * 100) / total)) : 100;
    if (percent === reported) return;
    reported = percent;
    await job.progress(percent);
  };
}
