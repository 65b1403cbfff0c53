import type Redis from 'ioredis';
import {
  type IRateLimiterOptions,
  type RateLimiterAbstract,
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
  RLWrapperTimeouts,
} from 'rate-limiter-flexible';

/** How long a count may take in Redis, by default, before the process counts in its own memory instead. */
export const RATE_LIMIT_REDIS_TIMEOUT_MS = 500;

/**
 * A counter in Redis, shared by every replica. While Redis is down or slow (no answer within
 * `timeoutMs`) the process counts in its own memory (the library's insurance limiter) under the
 * same limits: the request goes on, and the limit holds per process until Redis is back. `redis` should fail fast
 * (RedisConnections.failFast), so a count never waits in ioredis's offline queue.
 */
export function insuredRateLimiter(
  redis: Redis,
  options: IRateLimiterOptions,
  timeoutMs = RATE_LIMIT_REDIS_TIMEOUT_MS,
): RateLimiterAbstract {
  const insuranceLimiter = new RateLimiterMemory(options);
  const store = new RateLimiterRedis({ ...options, storeClient: redis, rejectIfRedisNotReady: true, insuranceLimiter });
  return new RLWrapperTimeouts({
    limiter: store,
    timeoutMs,
    insuranceLimiter,
    blockDuration: options.blockDuration,
  });
}

/** Counts one point for `key`; 0 when it was within the limit, else the whole seconds until it may try again. */
export async function secondsUntilAllowed(limiter: RateLimiterAbstract, key: string): Promise<number> {
  try {
    await limiter.consume(key);
    return 0;
  } catch (rejection) {
    if (!(rejection instanceof RateLimiterRes)) throw rejection;
    return Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
  }
}
