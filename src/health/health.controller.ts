import { Controller, Get } from '@nestjs/common';
import { ApiExtraModels, ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { HealthResponse, IndicatorStatus } from './health.dto';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import { Public } from '../auth/decorators';
import { ReadinessCheck } from './readiness-check';

/**
 * Terminus documents a health check itself whenever it can load @nestjs/swagger, which it can only where Node
 * loads ES modules with require (22.12+), so the document differed by Node version. The routes document their
 * answers here instead; its Cache-Control stays.
 */
const DOCUMENTED_HERE = { noCache: true, swaggerDocumentation: false };

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
    private readonly readiness: ReadinessCheck,
  ) {}

  @Get('live')
  @HealthCheck(DOCUMENTED_HERE)
  @ApiOkResponse({ type: HealthResponse, description: 'The process is up' })
  live() {
    return this.health.check([]);
  }

  @Get('ready')
  @HealthCheck(DOCUMENTED_HERE)
  @ApiOkResponse({ type: HealthResponse, description: 'Redis and the database answer' })
  @ApiServiceUnavailableResponse({
    type: HealthResponse,
    description: 'Redis or the database is down; the body names which',
  })
  ready() {
    return this.readiness.run();
  }
}
