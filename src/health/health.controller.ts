import { Controller, Get } from '@nestjs/common';
import { ApiExtraModels, ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { HealthResponse, IndicatorStatus } from './health.dto';
import { HealthCheck, HealthCheckService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { Public } from '../auth/decorators';
import { RedisHealthIndicator } from './redis.health';

const PROBE_TIMEOUT_MS = 1000;

/**
 * Kubernetes probes. Liveness checks only that the process answers, so a Redis outage never restarts pods;
 * readiness checks Redis and the database, each under a short timeout, and names whichever is down.
 */
@ApiTags('health')
@ApiExtraModels(IndicatorStatus)
@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly redis: RedisHealthIndicator,
    private readonly database: TypeOrmHealthIndicator,
  ) {}

  @Get('live')
  @HealthCheck()
  @ApiOkResponse({ type: HealthResponse, description: 'The process is up' })
  live() {
    return this.health.check([]);
  }

  @Get('ready')
  @HealthCheck()
  @ApiOkResponse({ type: HealthResponse, description: 'Redis and the database answer' })
  @ApiServiceUnavailableResponse({
    type: HealthResponse,
    description: 'Redis or the database is down; the body names which',
  })
  ready() {
    return this.health.check([
      () => this.redis.check('redis', PROBE_TIMEOUT_MS),
      () => this.database.pingCheck('database', { timeout: PROBE_TIMEOUT_MS }),
    ]);
  }
}
