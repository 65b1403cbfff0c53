import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import Bull, { type Job, type Queue } from 'bull';
import { hostname } from 'node:os';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { RedisConnections } from '../redis/redis-connections';
import { activeJobsSettled, deferredFailure, requeueActive } from './bull-internals';
import { buryUnburied, type DeadQueue } from './dead-queue';
import { progressReporter, type ProgressReporter } from './progress-reporter';
import { RedisErrorLog } from './redis-error-log';
import { TaskDeferredError } from './task-errors';

const SWEEP_EVERY_MS = 60_000;
const CLOSE_TIMEOUT_MS = 1000;
/** A deferred job waits a tenth of its age so far, within these bounds: quick at first, then every few seconds. */
const DEFER_MIN_MS = 250;
const DEFER_MAX_MS = 5000;

/** One queue the host runs: what to call for each job, and what to do when one fails or ends. */
export interface HostedQueue<D> {
  queue: Queue<D>;
  concurrency: number;
  handle(job: Job<D>, progress: ProgressReporter): Promise<unknown>;
  /** A failure retrying cannot fix: the job skips its remaining attempts (and goes to the dead queue). */
  isFinal?(error: unknown): boolean;
  dead?: DeadQueue<D>;
  /** Called once Bull has stored the completion, so it never runs ahead of a status read. */
  completed?(job: Job<D>, result: unknown): void;
  /** How logs name the queue's jobs, e.g. `pull_hosts tasks`. */
  jobs: string;
  /** How logs name one job, e.g. `task pull_hosts:42`. */
  describe(job: Job<D>): string;
}

/**
 * Runs every queue's jobs in a worker process: process with a concurrency, a final failure skips its retries, a
 * job that cannot start yet (TaskDeferredError) goes back to delayed without holding its slot or losing an attempt,
 * a job that failed for good goes to its dead queue (and a sweep buries any a crash left behind), progress
 * 0-100, and on shutdown: stop taking jobs, let the active ones finish within `queue.shutdown_timeout_ms`,
 * requeue what could not, close every Bull queue of the app, then the Redis connections.
 */
@Injectable()
export class WorkerHost implements OnModuleInit, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger('worker');
  readonly workerName = `${hostname()}:${process.pid}`;
  private readonly hosted: HostedQueue<unknown>[] = [];
  private readonly inFlight = new Set<Job<unknown>>();
  private readonly redisErrors = new RedisErrorLog();
  private allQueues: Queue[] = [];
  private sweepTimer?: NodeJS.Timeout;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly discovery: DiscoveryService,
    private readonly connections: RedisConnections,
  ) {}

  get runsWorkers(): boolean {
    return this.config.role !== 'api';
  }

  /** Every Bull queue of the app, whoever registered it: the host reports their Redis errors and closes them. */
  onModuleInit(): void {
    const instances = this.discovery.getProviders().map((wrapper) => wrapper.instance as unknown);
    this.allQueues = [...new Set(instances.filter((instance): instance is Queue => instance instanceof Bull))];
    for (const queue of this.allQueues) queue.on('error', (error: Error) => this.redisErrors.report(error));
  }

  /** Starts taking the queue's jobs; a queue runs under one host entry only. */
  run<D>(hosted: HostedQueue<D>): void {
    if (this.hosted.some((entry) => entry.queue === hosted.queue)) throw new Error(`${hosted.queue.name} runs twice`);
    const entry = hosted as HostedQueue<unknown>;
    this.hosted.push(entry);
    const { queue } = entry;
    queue.on('failed', (job: Job<unknown>, error: Error) => {
      // finishedOn is set only when Bull gives up on the job (no retry left, or discarded).
      if (job.finishedOn && entry.dead) void this.bury(entry, job, error.message);
    });
    if (entry.completed) queue.on('completed', (job: Job<unknown>, result: unknown) => entry.completed!(job, result));
    queue.on('stalled', (job: Job<unknown>) => {
      this.logger.warn({ msg: `worker found ${entry.describe(job)} stalled; it runs again`, worker: this.workerName });
    });
    // '*': every job whatever its name. Tasks are added named by their type (which Bull Board shows), and jobs
    // added unnamed (`__default__`) before that, still in Redis after an upgrade, run the same.
    queue
      .process('*', entry.concurrency, (job: Job<unknown>) => this.execute(entry, job))
      .catch((error: Error) => this.logger.error({ msg: `worker could not start ${queue.name}`, err: error }));
    if (entry.dead) void this.sweep([entry]);
    if (!this.sweepTimer) {
      this.sweepTimer = setInterval(() => void this.sweep(), SWEEP_EVERY_MS);
      this.sweepTimer.unref();
    }
    this.logger.debug({ msg: `worker takes ${entry.jobs}`, worker: this.workerName, concurrency: entry.concurrency });
  }

  /** Each queue this process takes jobs from, with its concurrency (empty in an API-only process). */
  get takenQueues(): Record<string, number> {
    return Object.fromEntries(this.hosted.map((entry) => [entry.queue.name, entry.concurrency]));
  }

  /** SIGTERM, before the HTTP server closes: stop taking jobs, let the active ones finish, requeue the rest. */
  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.sweepTimer);
    if (this.hosted.length > 0) await this.drain(this.config.queue.shutdownTimeoutMs);
  }

  /**
   * Once the HTTP server has answered its last request: close every queue, then the connections. Closing does not
   * wait for active jobs (the drain has had them); @nestjs/bull's own close finds the queue closing and returns.
   */
  async onApplicationShutdown(): Promise<void> {
    await Promise.all(this.allQueues.map((queue) => within(queue.close(true), CLOSE_TIMEOUT_MS)));
    await this.connections.closeAll();
  }

  /** Buries every job that ended failed but never reached its dead queue (a process died in between). */
  async sweep(entries = this.hosted): Promise<number> {
    let buried = 0;
    try {
      for (const entry of entries) if (entry.dead) buried += await buryUnburied(entry.queue, entry.dead);
    } catch (error) {
      this.logger.warn({ msg: 'worker could not sweep the failed jobs', reason: (error as Error).message });
    }
    if (buried > 0) this.logger.warn({ msg: `worker swept ${buried} failed jobs into the dead letters`, buried });
    return buried;
  }

  private async execute(entry: HostedQueue<unknown>, job: Job<unknown>): Promise<unknown> {
    this.inFlight.add(job);
    try {
      return await entry.handle(job, progressReporter(job));
    } catch (error) {
      if (error instanceof TaskDeferredError) throw deferredFailure(job, deferralMs(job), error.message);
      if (entry.isFinal?.(error)) await job.discard();
      throw error;
    } finally {
      this.inFlight.delete(job);
    }
  }

  private async drain(timeoutMs: number): Promise<void> {
    this.logger.log({
      msg: 'worker draining',
      worker: this.workerName,
      active: this.inFlight.size,
      timeout_ms: timeoutMs,
    });
    const queues = this.hosted.map((entry) => entry.queue);
    // A local pause that does not wait: it stops the fetch loops and aborts the blocking pop at once. Bull's own
    // waiting pause leaves a reconnection promise unhandled when the process closes Redis before its jobs end.
    await Promise.all(queues.map((queue) => queue.pause(true, true).catch(() => undefined)));
    const drained = Promise.all(queues.map((queue) => activeJobsSettled(queue)));
    const finished = await Promise.race([drained.then(() => true), sleep(timeoutMs).then(() => false)]);
    if (finished) return;
    const stuck = new Set<Queue>();
    for (const job of this.inFlight) {
      stuck.add(job.queue);
      const hosted = this.hosted.find((entry) => entry.queue === job.queue)!;
      const moved = await requeueActive(job.queue, String(job.id)).catch(() => false);
      this.logger.warn({
        msg: `worker requeued ${hosted.describe(job)} it could not finish before shutdown`,
        worker: this.workerName,
        job_id: String(job.id),
        moved: moved ? 1 : 0,
      });
    }
    // A job that outlived the drain keeps its promise pending, and a close that waits for it would never return:
    // close its queue now without waiting (@nestjs/bull's own close then finds it closing).
    await Promise.all([...stuck].map((queue) => within(queue.close(true), CLOSE_TIMEOUT_MS)));
  }

  private async bury(entry: HostedQueue<unknown>, job: Job<unknown>, reason: string): Promise<void> {
    try {
      await entry.dead!.bury(job, reason);
    } catch (error) {
      this.logger.error({ msg: `worker could not bury ${entry.describe(job)}; the sweep will`, err: error as Error });
    }
  }
}

function deferralMs(job: Job<unknown>): number {
  return Math.round(Math.min(DEFER_MAX_MS, Math.max(DEFER_MIN_MS, (Date.now() - job.timestamp) / 10)));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms).unref());

/** Waits for work, at most timeoutMs; never throws. */
async function within(work: Promise<unknown>, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)));
  try {
    await Promise.race([work.catch(() => undefined), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
