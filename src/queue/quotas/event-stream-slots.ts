import { Inject, Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { redisReply } from '../../redis/bounded';
import { RedisConnections } from '../../redis/redis-connections';
import { tooManyRequests } from './too-many-requests';

/** A slot lives this long unless its stream renews it: a process that dies frees its slots within it. */
export const STREAM_SLOT_LEASE_MS = 60_000;
const RENEW_EVERY_MS = STREAM_SLOT_LEASE_MS / 3;
/** A slot frees when a stream of the user's ends, which nobody can foretell: a short wait, then ask again. */
export const STREAM_RETRY_AFTER_SECONDS = 5;

/**
 * Takes a slot when the user holds fewer than ARGV[3] live ones. The slots are a sorted set per user, each
 * scored with the end of its lease on Redis's own clock, so replicas agree and lapsed slots are dropped first.
 */
const ACQUIRE = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
`;

/** Extends a slot's lease, unless it lapsed (then the stream goes on uncounted rather than taking a new one). */
const RENEW = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[2]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
`;

export interface StreamSlot {
  /** Frees the slot; safe to call more than once. */
  release(): void;
}

/**
 * `quota.event_streams` task event streams open at once per user, counted in Redis
 * (`<queue.prefix>:quota:streams:<user id>`) so every API replica shares the count.
 */
@Injectable()
export class EventStreamSlots {
  private readonly logger = new Logger(EventStreamSlots.name);

  constructor(
    private readonly connections: RedisConnections,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** A slot for a new stream of the user's, renewed until released; 429 when they hold them all, 503 without Redis. */
  async acquire(userId: number): Promise<StreamSlot> {
    const redis = this.connections.commandClient;
    const key = `${this.config.queue.prefix}:quota:streams:${userId}`;
    const id = randomUUID();
    const cap = this.config.quota.eventStreams;
    const taken = await redisReply(redis, () => redis.eval(ACQUIRE, 1, key, id, STREAM_SLOT_LEASE_MS, cap));
    if (taken !== 1) {
      throw tooManyRequests(
        `Too many open task event streams (${cap}); close one, or try again in ${STREAM_RETRY_AFTER_SECONDS} s`,
        STREAM_RETRY_AFTER_SECONDS,
      );
    }
    const renewing = setInterval(() => {
      redis.eval(RENEW, 1, key, id, STREAM_SLOT_LEASE_MS).catch(() => undefined);
    }, RENEW_EVERY_MS).unref();
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        clearInterval(renewing);
        redis.zrem(key, id).catch((error: Error) => {
          // The slot lapses with its lease.
          this.logger.warn({ msg: 'could not free a task event stream slot', err: error });
        });
      },
    };
  }
}
