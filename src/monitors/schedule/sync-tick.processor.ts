import { InjectQueue } from '@nestjs/bull';
import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Job, Queue } from 'bull';
import { Repository } from 'typeorm';
import { TaskProducer } from '../../queue/task-producer.service';
import { TaskRuntime } from '../../queue/task-runtime.service';
import { Monitor } from '../entities/monitor.entity';
import { SCHEDULE_QUEUE } from './sync-schedule.constants';

/** What one run of the schedule did; kept as the run's result in the schedule queue. */
export interface TickResult {
  monitors: number;
  /** pull_hosts tasks queued by this run. */
  queued: number;
  /** Monitors that already had a pull_hosts task waiting: not queued twice. */
  deduplicated: number;
}

/**
 * Runs the schedule where workers run: each run queues a `pull_hosts` task for every enabled monitor through the
 * producer, which returns the waiting task instead of queuing another when a monitor already has one. One worker
 * takes each run, whatever the number of workers.
 */
@Injectable()
export class SyncTickProcessor implements OnApplicationBootstrap {
  private readonly logger = new Logger('worker');
  private inFlight?: Promise<unknown>;

  constructor(
    @InjectQueue(SCHEDULE_QUEUE) private readonly queue: Queue,
    @InjectRepository(Monitor) private readonly monitors: Repository<Monitor>,
    private readonly producer: TaskProducer,
    private readonly runtime: TaskRuntime,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.runtime.runsWorkers) return;
    this.queue
      .process(1, (job: Job) => {
        const run = this.tick(job);
        this.inFlight = run.catch(() => undefined);
        return run;
      })
      .catch((error: Error) => this.logger.error({ msg: 'worker could not start the sync schedule', err: error }));
  }

  /** Queues a pull of every enabled monitor; fails (after trying them all) when any could not be queued. */
  async tick(job?: Job): Promise<TickResult> {
    const enabled = await this.monitors.find({ select: { id: true }, where: { enabled: true }, order: { id: 'ASC' } });
    const result: TickResult = { monitors: enabled.length, queued: 0, deduplicated: 0 };
    const failed: number[] = [];
    let lastError: Error | undefined;
    for (const { id } of enabled) {
      try {
        const { deduplicated } = await this.producer.enqueue('pull_hosts', { monitor_id: id });
        if (deduplicated) result.deduplicated += 1;
        else result.queued += 1;
      } catch (error) {
        failed.push(id);
        lastError = error as Error;
      }
    }
    const context = { ...result, schedule_run: job ? String(job.id) : undefined, worker: this.runtime.workerName };
    if (failed.length > 0) {
      this.logger.warn({ msg: 'worker could not queue the scheduled pull of some monitors', ...context, failed });
      throw new Error(`could not queue pull_hosts for monitors ${failed.join(', ')}: ${lastError?.message}`);
    }
    this.logger.log({
      msg: `worker scheduled sync: ${result.queued} pull_hosts tasks queued, ${result.deduplicated} already waiting`,
      ...context,
    });
    return result;
  }

  /** Waits, at most timeoutMs, for the run this process is doing, if any. */
  async drain(timeoutMs: number): Promise<void> {
    if (this.inFlight) await within(this.inFlight, timeoutMs);
  }
}

/** Waits for work, at most timeoutMs; never throws. */
export async function within(work: Promise<unknown>, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)));
  try {
    await Promise.race([work.catch(() => undefined), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
