import { Injectable } from '@nestjs/common';
import { HealthCheckService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { RedisHealthIndicator } from './redis.health';

const PROBE_TIMEOUT_MS = 1000;

/**
 * Readiness, the one definition the API's /health/ready and a worker's probe port both answer with: Redis on the
 * queues' own connection (direct or through the sentinels, as configured) and the database, each under a short
 * timeout. Resolves with Terminus's report; rejects with a 503 ServiceUnavailableException naming what is down.
 */
@Injectable()
export class ReadinessCheck {
  constructor(
    private readonly health: HealthCheckService,
    private readonly redis: RedisHealthIndicator,
    private readonly database: TypeOrmHealthIndicator,
  ) {}

  run() {
    return this.health.check([
      () => this.redis.check('redis', PROBE_TIMEOUT_MS),
      () => this.database.pingCheck('database', { timeout: PROBE_TIMEOUT_MS }),
    ]);
  }
}
