import { Controller, Get, Header, Headers, Inject, Res, UnauthorizedException } from '@nestjs/common';
import { ApiOkResponse, ApiTags, ApiUnauthorizedResponse, getSchemaPath } from '@nestjs/swagger';
import { Registry } from 'prom-client';
import type { Response } from 'express';
import { createHash, timingSafeEqual } from 'node:crypto';
import { Public } from '../auth/decorators';
import { ErrorResponse, errorExample } from '../common/http/error-response';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { MetricsRegistry } from './metrics.registry';
import { QueueMetrics } from './queue-metrics.service';

/** What the 200 answers with: prom-client's registry content type (the text format, not OpenMetrics). */
const PROMETHEUS_CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * Prometheus scrape endpoint, outside /api/v1 like the health probes. It is @Public() for the users' JWT
 * guard: a scraper holds no user token. When `metrics.token` is set it checks its own bearer token instead; in
 * production the config refuses to start an API without one unless `metrics.public` says so (config.loader.ts).
 */
@ApiTags('metrics')
@Public()
@Controller('metrics')
export class MetricsController {
  private readonly expected?: Buffer;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly metrics: MetricsRegistry,
    private readonly queueMetrics: QueueMetrics,
  ) {
    if (config.metrics.token) this.expected = digest(config.metrics.token);
  }

  @Get()
  @Header('Cache-Control', 'no-store')
  @ApiOkResponse({
    description: 'The metrics in the Prometheus text exposition format (version 0.0.4)',
    content: { [PROMETHEUS_CONTENT_TYPE]: { schema: { type: 'string' } } },
  })
  @ApiUnauthorizedResponse({
    description: 'metrics.token is set and the request lacks `Authorization: Bearer <that token>`',
    content: {
      'application/json': {
        schema: { $ref: getSchemaPath(ErrorResponse) },
        example: errorExample(401, 'Missing or wrong metrics bearer token'),
      },
    },
  })
  async scrape(
    @Headers('authorization') authorization: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<string> {
    if (this.expected && !this.authorized(authorization)) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="metrics"');
      throw new UnauthorizedException('Missing or wrong metrics bearer token');
    }
    await this.queueMetrics.refresh();
    res.setHeader('Content-Type', this.metrics.registry.contentType);
    return this.metrics.registry.metrics();
  }

  /** Compares digests, so the time taken says nothing about the token, not even its length. */
  private authorized(authorization: string | undefined): boolean {
    const match = /^Bearer (\S+)$/.exec(authorization ?? '');
    return match !== null && timingSafeEqual(digest(match[1]), this.expected as Buffer);
  }
}
