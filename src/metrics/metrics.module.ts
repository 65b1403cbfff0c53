import { Module, type NestModule } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { QueueModule } from '../queue/queue.module';
import { HttpMetricsMiddleware } from './http-metrics.middleware';
import { MetricsController } from './metrics.controller';
import { MetricsRegistry } from './metrics.registry';
import { QueueMetrics } from './queue-metrics.service';
import { QueuePausedGauge } from './queue-paused.gauge';

/** GET /metrics (Prometheus) and the HTTP timing middleware; imported by the roles that serve HTTP. */
@Module({
  imports: [QueueModule],
  controllers: [MetricsController],
  providers: [MetricsRegistry, QueueMetrics, HttpMetricsMiddleware, QueuePausedGauge],
})
export class MetricsModule implements NestModule {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly middleware: HttpMetricsMiddleware,
  ) {}

  /**
   * Nest calls this during app.init(), before it mounts the routes. The middleware goes on Express directly
   * rather than through `consumer.forRoutes()`, which would put it under the global prefix only and so miss
   * /health, /metrics and unknown paths.
   */
  configure(): void {
    const express = this.adapterHost.httpAdapter?.getInstance<{ use(handler: unknown): void }>();
    express?.use(this.middleware.use.bind(this.middleware));
  }
}
