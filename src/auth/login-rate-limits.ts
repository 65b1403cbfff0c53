import type Redis from 'ioredis';
import type { IRateLimiterOptions, RateLimiterAbstract } from 'rate-limiter-flexible';
import { insuredRateLimiter, RATE_LIMIT_REDIS_TIMEOUT_MS } from '../common/rate-limit/insured-rate-limiter';
import type { AppConfig } from '../config/app-config';

/** The two counters of rate-limiter-flexible's login recipe ("Login endpoint protection"). */
export interface LoginRateLimits<T = RateLimiterAbstract> {
  /** Consecutive failures of one username from one client; a success of that username from there clears them. */
  byUserAndClient: T;
  /** Failures from one client, whatever the username, in a day: against trying a few passwords on many users. */
  byClientPerDay: T;
}

const DAY_SECONDS = 86_400;

/** How long a count may take in Redis before the process counts in its own memory instead. */
export const LOGIN_LIMIT_TIMEOUT_MS = RATE_LIMIT_REDIS_TIMEOUT_MS;

/** Both counters' settings; the key prefix keeps them beside the service's queues in a shared Redis. */
export function loginRateLimitOptions(config: AppConfig): LoginRateLimits<IRateLimiterOptions> {
  const { loginMaxFailures, loginWindowSeconds, loginDailyFailures } = config.auth;
  return {
    byUserAndClient: {
      keyPrefix: `${config.queue.prefix}:login-fails:user-client`,
      points: loginMaxFailures,
      duration: loginWindowSeconds,
      blockDuration: loginWindowSeconds,
    },
    byClientPerDay: {
      keyPrefix: `${config.queue.prefix}:login-fails:client-day`,
      points: loginDailyFailures,
      duration: DAY_SECONDS,
      blockDuration: DAY_SECONDS,
    },
  };
}

/**
 * The counters in Redis, shared by every replica. While Redis is down or slow (no answer within
 * LOGIN_LIMIT_TIMEOUT_MS) each process counts in its own memory (the library's insurance limiter) under the same
 * limits: logins stay possible, since they need only the database, and guessing stays limited per process.
 */
export function createLoginRateLimits(redis: Redis, config: AppConfig): LoginRateLimits {
  const options = loginRateLimitOptions(config);
  return {
    byUserAndClient: insuredRateLimiter(redis, options.byUserAndClient),
    byClientPerDay: insuredRateLimiter(redis, options.byClientPerDay),
  };
}
