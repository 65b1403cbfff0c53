import { InjectQueue } from '@nestjs/bull';
import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Job, Queue } from 'bull';
import { TaskProducer } from '../../queue/task-producer.service';
import { WorkerHost } from '../../queue/worker-host';
import type { ReadRepository } from '../../database/read-repository';
import { Monitor } from '../entities/monitor.entity';
import { MonitorAuthFailedError } from '../services/auth-failed';
import { SCHEDULE_QUEUE } from './sync-schedule.constants';

/** What one run of the schedule did; kept as the run's result in the schedule queue. */
export interface TickResult {
  monitors: number;
  /** pull_hosts tasks queued by this run. */
  queued: number;
  /** Monitors that already had a pull_hosts task waiting: not queued twice. */
  deduplicated: number;
  /** Monitors in auth_failed: not pulled until their credentials change. */
  skipped: number;
  /** pull_alerts tasks queued by this run, after each monitor's pull_hosts, and those already waiting. */
  alert_pulls: { queued: number; deduplicated: number };
}

/**
 * Runs the schedule where workers run: each run queues a `pull_hosts` task, then a `pull_alerts` task, for every
 * enabled monitor through the producer, which returns the waiting task instead of queuing another when a monitor
 * already has one. A monitor in auth_failed is skipped (the producer refuses it: each pull would be one more refused
 * login toward Zabbix's lockout), and the log says so once. One worker takes each run, whatever the number of workers.
 */
@Injectable()
export class SyncTickProcessor implements OnApplicationBootstrap {
  private readonly logger = new Logger('worker');
  /** The auth_failed monitors this process has said it skips: each is said once, not at every run. */
  private readonly skipping = new Set<number>();

  constructor(
    @InjectQueue(SCHEDULE_QUEUE) private readonly queue: Queue,
    @InjectRepository(Monitor) private readonly monitors: ReadRepository<Monitor>,
    private readonly producer: TaskProducer,
    private readonly host: WorkerHost,
  ) {}

  /** One run at a time, no retry (the next slot is the retry), no dead queue; the host drains it on shutdown. */
  onApplicationBootstrap(): void {
    if (!this.host.runsWorkers) return;
    this.host.run({
      queue: this.queue,
      jobs: 'scheduled sync runs',
      concurrency: 1,
      handle: (job) => this.tick(job),
      describe: (job) => `scheduled sync run ${String(job.id)}`,
    });
  }

  /** Queues a pull of every enabled monitor; fails (after trying them all) when any could not be queued. */
  async tick(job?: Job): Promise<TickResult> {
    const enabled = await this.monitors.find({ select: { id: true }, where: { enabled: true }, order: { id: 'ASC' } });
    const result: TickResult = {
      monitors: enabled.length,
      queued: 0,
      deduplicated: 0,
      skipped: 0,
      alert_pulls: { queued: 0, deduplicated: 0 },
    };
    const failed: number[] = [];
    let lastError: Error | undefined;
    for (const { id } of enabled) {
      try {
        const { deduplicated } = await this.producer.enqueue('pull_hosts', { monitor_id: id });
        if (deduplicated) result.deduplicated += 1;
        else result.queued += 1;
        this.skipping.delete(id);
        // Queued after the hosts' pull; the monitor lock keeps the two from overlapping.
        const alerts = await this.producer.enqueue('pull_alerts', { monitor_id: id });
        result.alert_pulls[alerts.deduplicated ? 'deduplicated' : 'queued'] += 1;
      } catch (error) {
        if (error instanceof MonitorAuthFailedError) {
          result.skipped += 1;
          this.sayOnceSkipped(id, error);
          continue;
        }
        failed.push(id);
        lastError = error as Error;
      }
    }
    const context = { ...result, schedule_run: job ? String(job.id) : undefined, worker: this.host.workerName };
    if (failed.length > 0) {
      this.logger.warn({ msg: 'worker could not queue the scheduled pull of some monitors', ...context, failed });
      throw new Error(`could not queue the pulls of monitors ${failed.join(', ')}: ${lastError?.message}`);
    }
    this.logger.log({
      msg:
        `worker scheduled sync: ${result.queued} pull_hosts tasks queued, ${result.deduplicated} already waiting; ` +
        `${result.alert_pulls.queued} pull_alerts tasks queued, ${result.alert_pulls.deduplicated} already waiting` +
        (result.skipped > 0 ? `; ${result.skipped} auth_failed skipped` : ''),
      ...context,
    });
    return result;
  }

  private sayOnceSkipped(monitorId: number, error: MonitorAuthFailedError): void {
    if (this.skipping.has(monitorId)) return;
    this.skipping.add(monitorId);
    this.logger.warn({
      msg: `worker scheduled sync skips monitor ${monitorId} until its credentials change: ${error.message}`,
      monitor_id: monitorId,
      worker: this.host.workerName,
    });
  }
}
