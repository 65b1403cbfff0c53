import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasRedisServerBinary, RedisServer, redisAnswers } from './redis-server';

/** Where global setup leaves the pid of a redis-server it started, for global teardown. */
export const SPAWNED_REDIS_PID_FILE = join(tmpdir(), `nagare-test-redis-${process.ppid}-${process.pid}.pid`);

/**
 * Finds the Redis the suites run against: REDIS_URL or REDIS_ADDR when one answers there, else the usual
 * 127.0.0.1:6379, else a private redis-server on a free port, else a failure that says how to get Redis.
 */
export default async function globalSetup(): Promise<void> {
  const configured =
    process.env.REDIS_URL ?? (process.env.REDIS_ADDR ? `redis://${process.env.REDIS_ADDR}` : undefined);
  const candidate = configured ?? 'redis://127.0.0.1:6379';
  if (await redisAnswers(candidate)) {
    process.env.NAGARE_TEST_REDIS_URL = candidate;
    return;
  }
  if (configured) {
    throw new Error(`The tests need Redis, and none answers at ${configured} (from REDIS_URL/REDIS_ADDR).`);
  }
  if (!hasRedisServerBinary()) {
    throw new Error(
      'The tests need Redis: none answers on 127.0.0.1:6379 and redis-server is not installed.\n' +
        'Start one with `docker compose up -d redis`, install `redis-server` (apt-get install redis-server),\n' +
        'or point REDIS_URL at one.',
    );
  }
  const server = await RedisServer.start();
  writeFileSync(SPAWNED_REDIS_PID_FILE, String(server.pid));
  process.env.NAGARE_TEST_REDIS_URL = server.url;
}
