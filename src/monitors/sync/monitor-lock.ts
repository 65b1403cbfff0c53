import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { ConflictError } from '../../common/http/domain-error';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { bounded, REDIS_REPLY_TIMEOUT_MS, redisReply } from '../../redis/bounded';
import { RedisConnections } from '../../redis/redis-connections';

/** As Bull's job lock: a crashed holder's lock lapses within 30 s, and a live one renews it twice in that time. */
const TTL_MS = 30_000;
const RENEW_EVERY_MS = 10_000;
const POLL_MS = 250;

/** Deletes or extends the lock only while it still holds this owner's token. */
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;
const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;

export class SyncInProgressError extends ConflictError {}

/**
 * One sync per monitor at a time, across processes and machines. The lock lives in Redis with a TTL that the
 * holder renews while it works, so a crashed worker's lock expires within 30 s; only the owner may release it.
 * A worker that shuts down with a sync still running (its task goes back to waiting) releases the lock as it
 * goes, so the next worker does not wait out the TTL.
 */
@Injectable()
export class MonitorLock {
  private readonly prefix: string;
  /** Lock key → owner token, for every lock this process holds now. */
  private readonly held = new Map<string, string>();

  constructor(
    private readonly connections: RedisConnections,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.prefix = `${config.queue.prefix}:lock:monitor`;
    connections.onClosing(() => this.releaseAll());
  }

  /** Runs `work` holding the monitor's lock, waiting up to `waitMs` for another holder to let go. */
  async run<T>(monitorId: number, waitMs: number, work: () => Promise<T>): Promise<T> {
    const key = `${this.prefix}:${monitorId}`;
    const token = randomUUID();
    const redis = this.connections.commandClient;
    const deadline = Date.now() + waitMs;
    // ioredis queues commands while Redis is down; a sync must fail fast (503) instead of hanging.
    while ((await redisReply(redis, () => redis.set(key, token, 'PX', TTL_MS, 'NX'))) !== 'OK') {
      if (Date.now() >= deadline) throw new SyncInProgressError(`A sync of monitor ${monitorId} is already running`);
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    const renewal = setInterval(() => {
      redis.eval(RENEW, 1, key, token, String(TTL_MS)).catch(() => undefined);
    }, RENEW_EVERY_MS);
    renewal.unref();
    this.held.set(key, token);
    try {
      return await work();
    } finally {
      clearInterval(renewal);
      this.held.delete(key);
      await this.release(key, token);
    }
  }

  private async releaseAll(): Promise<void> {
    const locks = [...this.held.entries()];
    this.held.clear();
    await Promise.all(locks.map(([key, token]) => this.release(key, token)));
  }

  private async release(key: string, token: string): Promise<void> {
    const redis = this.connections.commandClient;
    await bounded(redis.eval(RELEASE, 1, key, token), REDIS_REPLY_TIMEOUT_MS).catch(() => undefined);
  }
}
