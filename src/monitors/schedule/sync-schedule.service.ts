import { InjectQueue } from '@nestjs/bull';
import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import type { Queue } from 'bull';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { bounded } from '../../redis/bounded';
import { WorkerHost } from '../../queue/worker-host';
import { KEEP_TICKS, SCHEDULE_QUEUE, SYNC_SCHEDULE_JOB_ID } from './sync-schedule.constants';

/** How long one attempt to set the schedule may wait for Redis, and how long to wait before the next. */
const ATTEMPT_TIMEOUT_MS = 5000;
const RETRY_EVERY_MS = 10_000;

export interface ScheduleState {
  /** The interval now scheduled, in ms; null when the schedule is off. */
  everyMs: number | null;
  /** Repeatable jobs of other intervals (or other ids) that were removed. */
  removed: number;
}

/**
 * Keeps the periodic pull of every enabled monitor (`sync.interval_seconds`, 0 = off) as ONE Bull repeatable job,
 * however many worker processes run: each adds the same repeatable (same name, id and interval, so Bull stores it
 * once and each run once), and removes any left from another interval. Set where workers run; an API-only process
 * leaves the schedule alone.
 */
@Injectable()
export class SyncSchedule implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(SyncSchedule.name);
  private stopped = false;
  private retryTimer?: NodeJS.Timeout;
  private resolveApplied!: (state: ScheduleState) => void;
  /** Settles once this process has set the schedule (or removed it, when off). */
  readonly applied = new Promise<ScheduleState>((resolve) => (this.resolveApplied = resolve));

  constructor(
    @InjectQueue(SCHEDULE_QUEUE) private readonly queue: Queue,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly host: WorkerHost,
  ) {}

  get everyMs(): number {
    return this.config.sync.intervalSeconds * 1000;
  }

  /** Not awaited: a Redis that is down at start must not hold up the boot; the schedule is set once it is back. */
  onApplicationBootstrap(): void {
    if (this.host.runsWorkers) void this.attempt();
  }

  /** Stops trying to set the schedule; the host drains a run in progress and closes the queue. */
  beforeApplicationShutdown(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
  }

  /** Makes the queue hold exactly the configured schedule: the one repeatable job, or none when it is off. */
  async apply(): Promise<ScheduleState> {
    const everyMs = this.everyMs;
    let removed = 0;
    for (const repeatable of await this.queue.getRepeatableJobs()) {
      const current = everyMs > 0 && repeatable.id === SYNC_SCHEDULE_JOB_ID && repeatable.every === everyMs;
      if (current) continue;
      await this.queue.removeRepeatableByKey(repeatable.key);
      removed += 1;
    }
    if (everyMs > 0) {
      await this.queue.add(
        {},
        {
          jobId: SYNC_SCHEDULE_JOB_ID,
          repeat: { every: everyMs },
          attempts: 1,
          removeOnComplete: KEEP_TICKS,
          removeOnFail: KEEP_TICKS,
        },
      );
    }
    return { everyMs: everyMs > 0 ? everyMs : null, removed };
  }

  private async attempt(): Promise<void> {
    if (this.stopped) return;
    try {
      const state = await bounded(this.apply(), ATTEMPT_TIMEOUT_MS);
      const { everyMs, removed } = state;
      this.logger.log({
        msg: everyMs
          ? `scheduled sync of every enabled monitor every ${everyMs / 1000} s`
          : 'scheduled sync is off (sync.interval_seconds is 0)',
        interval_seconds: this.config.sync.intervalSeconds,
        removed_schedules: removed,
      });
      this.resolveApplied(state);
    } catch (error) {
      this.logger.warn({
        msg: `could not set the sync schedule; trying again in ${RETRY_EVERY_MS / 1000} s`,
        reason: (error as Error).message,
      });
      this.retryTimer = setTimeout(() => void this.attempt(), RETRY_EVERY_MS);
      this.retryTimer.unref();
    }
  }
}
