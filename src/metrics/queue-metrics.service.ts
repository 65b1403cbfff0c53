import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { Queue } from 'bull';
import { EventEmitter } from 'node:events';
import { subscribeGlobalEvent } from '../queue/bull-internals';
import { bounded } from '../redis/bounded';
import { DeadLetters } from '../queue/dead-letters.service';
import { TaskQueues } from '../queue/task-queues';
import type { TaskData, TaskType } from '../queue/task-types';
import { MetricsRegistry } from './metrics.registry';

/** A scrape never waits longer than this for Redis: when it is down, the answer comes without the queue gauges. */
export const QUEUE_READ_TIMEOUT_MS = 1000;
const GAUGED_STATES = ['waiting', 'active', 'delayed', 'failed'] as const;

type Listener = (jobId: string) => void;

interface QueueReading {
  type: TaskType;
  counts: Record<string, number>;
  oldestWaitingSeconds: number;
  workerCount: number;
}

/**
 * One queue's gauges. The oldest waiting task is the tail of Bull's wait list (or of its paused list), so two
 * short reads; its age counts from when it was due (a delayed task waits only once its delay is over).
 */
async function readQueue(
  type: TaskType,
  queue: Queue<TaskData>,
  workerNames: Map<string, number>,
  now: number,
): Promise<QueueReading> {
  const [counts, oldest] = await Promise.all([queue.getJobCounts(), queue.getJobs(['waiting', 'paused'], 0, 0, true)]);
  const dueTimes = oldest.filter(Boolean).map((job) => job.timestamp + (job.opts.delay ?? 0));
  const oldestWaitingSeconds = dueTimes.length ? Math.max(0, now - Math.min(...dueTimes)) / 1000 : 0;
  return {
    type,
    counts: counts as unknown as Record<string, number>,
    oldestWaitingSeconds,
    workerCount: workerNames.get(queue.clientName()) ?? 0,
  };
}

/**
 * How many Redis clients bear each name. A worker's blocking connection is named after its queue (Bull's
 * `clientName()`); Bull's own getWorkers() matches names by prefix, so it counts `pull_hosts` workers as
 * `pull_host` ones too, and costs a CLIENT LIST per queue.
 */
async function clientNames(queue: Queue<TaskData>): Promise<Map<string, number>> {
  const list = (await queue.client.client('LIST')) as string;
  const names = new Map<string, number>();
  for (const match of list.matchAll(/(?:^| )name=(\S+)/gm)) names.set(match[1], (names.get(match[1]) ?? 0) + 1);
  return names;
}
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
    const { queueJobs, oldestWaiting, workers, deadLetters, queueScrapeOk } = this.metrics;
    try {
      const [readings, dead] = await bounded(
        Promise.all([this.readQueues(), this.deadLetters.count()]),
        QUEUE_READ_TIMEOUT_MS,
      );
      this.resetQueueGauges();
      for (const { type, counts, oldestWaitingSeconds, workerCount } of readings) {
        for (const state of GAUGED_STATES) queueJobs.set({ type, state }, counts[state] ?? 0);
        oldestWaiting.set({ type }, oldestWaitingSeconds);
        workers.set({ type }, workerCount);
      }
      deadLetters.set(dead);
      queueScrapeOk.set(1);
      return true;
    } catch (error) {
      this.resetQueueGauges();
      deadLetters.reset();
      queueScrapeOk.set(0);
      this.logger.warn(`queue gauges unavailable: ${(error as Error).message}`);
      return false;
    }
  }

  private async readQueues(): Promise<QueueReading[]> {
    const queues = this.queues.all();
    const workerNames = await clientNames(queues[0][1]);
    const now = Date.now();
    return Promise.all(queues.map(([type, queue]) => readQueue(type, queue, workerNames, now)));
  }

  private resetQueueGauges(): void {
    this.metrics.queueJobs.reset();
    this.metrics.oldestWaiting.reset();
    this.metrics.workers.reset();
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
    subscribeGlobalEvent(queue, event).catch(() => {
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
