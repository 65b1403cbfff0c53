import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { redisReply } from '../redis/bounded';
import { RedisConnections } from '../redis/redis-connections';
import { type JobState, readRawJob } from './bull-internals';
import { TaskQueues } from './task-queues';
import { formatTaskId, type Payload, type TaskType } from './task-types';

const LOCK_MS = 2000;
const LOCK_POLL_MS = 10;

/** A task not yet at work: queued, waiting out a backoff or a busy monitor, or taken but not yet started. */
const PENDING: ReadonlySet<JobState> = new Set<JobState>(['waiting', 'paused', 'delayed', 'active', 'stuck']);

/** Deletes the key only while it still names this job: a newer follow-up keeps its place. */
const FORGET_IF_SAME = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

export interface EnqueuedTask {
  taskId: string;
  deduplicated: boolean;
}

/**
 * At most one pending task per (type, target): `<prefix>:dedupe:<type>:<target>` names it from the moment it is
 * queued until its handler starts the work (`started`, once it holds its monitor). A request meanwhile gets that
 * task back; a request after it started queues the one follow-up (the data may have changed since), which the
 * requests after that get back. With the monitor lock, which lets one task of a monitor work at a time, a target
 * has at most one task at work and one pending.
 */
@Injectable()
export class TaskDedupe {
  /** The enqueue in progress in this process for each key: requests for the same target meanwhile share it. */
  private readonly inFlight = new Map<string, Promise<EnqueuedTask>>();

  constructor(
    private readonly queues: TaskQueues,
    private readonly connections: RedisConnections,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * The pending task of the target, or the task `add` queues (its task id) when there is none. Concurrent requests
   * of one process for one target share one look-up: a burst of them would otherwise queue on the Redis lock, each
   * polling it, and outlast the 2 s an enqueue may take. What that look-up answers is the target's pending task,
   * so each of the others gets it back as deduplicated.
   */
  enqueue<T extends TaskType>(type: T, params: Payload<T>, add: () => Promise<string>): Promise<EnqueuedTask> {
    const key = this.key(type, params);
    const shared = this.inFlight.get(key);
    if (shared) return shared.then(({ taskId }) => ({ taskId, deduplicated: true }));
    const lookUp = this.enqueueLocked(type, key, add).finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, lookUp);
    return lookUp;
  }

  /** The task started its work: from now on a request for its target queues a follow-up. */
  async started<T extends TaskType>(type: T, params: Payload<T>, jobId: string): Promise<void> {
    const redis = this.connections.commandClient;
    await redisReply(redis, () => redis.eval(FORGET_IF_SAME, 1, this.key(type, params), jobId));
  }

  /** Under the target's Redis lock, which serialises the processes: the pending task, or a new one. */
  private async enqueueLocked(type: TaskType, key: string, add: () => Promise<string>): Promise<EnqueuedTask> {
    const redis = this.connections.commandClient;
    const lock = `${key}:lock`;
    while ((await redis.set(lock, '1', 'PX', LOCK_MS, 'NX')) !== 'OK') await pause(LOCK_POLL_MS);
    try {
      const pendingId = await redis.get(key);
      if (pendingId && (await this.isPending(type, pendingId))) {
        return { taskId: formatTaskId(type, pendingId), deduplicated: true };
      }
      const taskId = await add();
      await redis.set(key, taskId.slice(type.length + 1), 'EX', this.config.queue.retentionSeconds);
      return { taskId, deduplicated: false };
    } finally {
      await redis.del(lock);
    }
  }

  private async isPending(type: TaskType, jobId: string): Promise<boolean> {
    const job = await readRawJob(this.queues.of(type), jobId);
    return job !== undefined && PENDING.has(job.state);
  }

  private key(type: TaskType, params: object): string {
    return `${this.config.queue.prefix}:dedupe:${type}:${targetKey(params)}`;
  }
}

/** The target of a task: its params in a stable order, so equal targets give equal keys. */
function targetKey(params: object): string {
  return Object.entries(params)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, value]) => `${name}=${String(value)}`)
    .join(',');
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
