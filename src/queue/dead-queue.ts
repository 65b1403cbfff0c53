import type { Job, Queue } from 'bull';

const SWEEP_BATCH = 500;

/** Where a queue's jobs that failed for good are kept. Burying must be idempotent: a sweep may bury again. */
export interface DeadQueue<D> {
  bury(job: Job<D>, reason: string): Promise<void>;
  holds(job: Job<D>): Promise<boolean>;
}

/** Buries every job of the queue that ended failed but never reached its dead queue (a process died in between). */
export async function buryUnburied<D>(queue: Queue<D>, dead: DeadQueue<D>): Promise<number> {
  let buried = 0;
  for (let start = 0; ; start += SWEEP_BATCH) {
    const failed = await queue.getFailed(start, start + SWEEP_BATCH - 1);
    for (const job of failed) {
      if (await dead.holds(job)) continue;
      await dead.bury(job, job.failedReason ?? 'failed');
      buried += 1;
    }
    if (failed.length < SWEEP_BATCH) return buried;
  }
}
