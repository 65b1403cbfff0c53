import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { Queue } from 'bull';
import { EventEmitter } from 'node:events';
import { bounded } from '../queue/bounded';
import { DeadLetters } from '../queue/dead-letters.service';
import { TaskQueues } from '../queue/task-queues';
import type { TaskData, TaskType } from '../queue/task-types';
import { MetricsRegistry } from './metrics.registry';

/** A scrape never waits longer than this for Redis: when it is down, the answer comes without the queue gauges. */
export const QUEUE_READ_TIMEOUT_MS = 1000;
const GAUGED_STATES = ['waiting', 'active', 'delayed', 'failed'] as const;

type Listener = (jobId: string) => void;
/** Bull's subscription to a global event, which its queue.on() starts without awaiting. */
type BullInternals = { _registerEvent(event: string): Promise<unknown> | undefined };
const RESUBSCRIBE_MS = 2000;

/**
 * The task metrics. Gauges are read from Redis at scrape time. Counters and the duration histogram come from
 * Bull's *global* events (Redis pub/sub), so tasks run by a worker in another process count too.
 *
 * Semantics with several API replicas: every replica subscribes to the same events, so each counts every task
 * of the whole system (not a share of it). Aggregate across replicas with `max by (type)` (or look at one
 * replica), never `sum`, which would multiply the counts by the number of replicas. A replica counts only
 * what happens while it runs: counters restart at 0 with the process, as Prometheus counters may (use
 * `rate()`/`increase()`), and tasks that end while no API process is up are not counted at all.
 */
@Injectable()
export class QueueMetrics implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('metrics');
  private readonly listeners: Array<{ queue: Queue<TaskData>; event: string; listener: Listener }> = [];
  private destroyed = false;

  constructor(
    private readonly queues: TaskQueues,
    private readonly deadLetters: DeadLetters,
    private readonly metrics: MetricsRegistry,
  ) {}

  onModuleInit(): void {
    for (const [type, queue] of this.queues.all()) {
      this.listen(queue, 'global:completed', (jobId) => this.completed(type, queue, jobId));
      this.listen(queue, 'global:failed', () => this.metrics.tasksFailed.inc({ type }));
      // Bull publishes `failed` only when no attempt is left; a retry shows as the job turning active again
      // with attempts already made.
      this.listen(queue, 'global:active', (jobId) => this.activated(type, queue, jobId));
    }
  }

  onModuleDestroy(): void {
    this.destroyed = true;
    for (const { queue, event, listener } of this.listeners.splice(0)) queue.removeListener(event, listener);
  }

  /** Sets the gauges from Redis; false (and no queue gauges) when Redis does not answer in time. */
  async refresh(): Promise<boolean> {
    const { queueJobs, deadLetters, queueScrapeOk } = this.metrics;
    try {
      const [counts, dead] = await bounded(
        Promise.all([
          Promise.all(this.queues.all().map(async ([type, queue]) => [type, await queue.getJobCounts()] as const)),
          this.deadLetters.count(),
        ]),
        QUEUE_READ_TIMEOUT_MS,
      );
      queueJobs.reset();
      for (const [type, byState] of counts) {
        const values = byState as unknown as Record<string, number>;
        for (const state of GAUGED_STATES) queueJobs.set({ type, state }, values[state] ?? 0);
      }
      deadLetters.set(dead);
      queueScrapeOk.set(1);
      return true;
    } catch (error) {
      queueJobs.reset();
      deadLetters.reset();
      queueScrapeOk.set(0);
      this.logger.warn(`queue gauges unavailable: ${(error as Error).message}`);
      return false;
    }
  }

  private listen(queue: Queue<TaskData>, event: string, listener: Listener): void {
    // Bull's own queue.on() subscribes in Redis and drops the promise: with Redis down at start it rejects
    // unhandled and the subscription is never made. Attach the listener alone, and subscribe until it takes.
    EventEmitter.prototype.on.call(queue, event, listener);
    this.listeners.push({ queue, event, listener });
    this.subscribe(queue, event);
  }

  private subscribe(queue: Queue<TaskData>, event: string): void {
    if (this.destroyed) return;
    const registering = (queue as unknown as BullInternals)._registerEvent(event);
    Promise.resolve(registering).catch(() => {
      setTimeout(() => this.subscribe(queue, event), RESUBSCRIBE_MS).unref();
    });
  }

  private completed(type: TaskType, queue: Queue<TaskData>, jobId: string): void {
    this.metrics.tasksCompleted.inc({ type });
    void this.withJob(queue, jobId, (job) => {
      if (job.processedOn && job.finishedOn) {
        this.metrics.taskDuration.observe({ type }, Math.max(0, job.finishedOn - job.processedOn) / 1000);
      }
    });
  }

  private activated(type: TaskType, queue: Queue<TaskData>, jobId: string): void {
    void this.withJob(queue, jobId, (job) => {
      if (job.attemptsMade > 0) this.metrics.tasksRetried.inc({ type });
    });
  }

  /** Reads the job (it may be gone already, removed by retention); a metric is never worth an unhandled error. */
  private async withJob(
    queue: Queue<TaskData>,
    jobId: string,
    use: (job: NonNullable<Awaited<ReturnType<Queue<TaskData>['getJob']>>>) => void,
  ): Promise<void> {
    try {
      const job = await bounded(queue.getJob(jobId), QUEUE_READ_TIMEOUT_MS);
      if (job) use(job);
    } catch (error) {
      this.logger.debug(`job ${jobId} unreadable for metrics: ${(error as Error).message}`);
    }
  }
}
