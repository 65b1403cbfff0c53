import { type DynamicModule, Module, type ModuleMetadata } from '@nestjs/common';
import type { AppConfig } from './config/app-config';
import { AdminModule } from './admin/admin.module';
import { AlertsModule } from './alerts/alerts.module';
import { AuthModule } from './auth/auth.module';
import { ShutdownLog } from './common/logging/shutdown-log';
import { ConfigModule } from './config/config.module';
import { DatabaseModule } from './database/database.module';
import { HealthModule } from './health/health.module';
import { WorkerProbeModule } from './health/worker-probe/worker-probe.module';
import { MetricsModule } from './metrics/metrics.module';
import { MonitorsModule } from './monitors/monitors.module';
import { SyncScheduleModule } from './monitors/schedule/sync-schedule.module';
import { QueueModule } from './queue/queue.module';
import { WebhooksModule } from './webhooks/webhooks.module';

/**
 * Composes the feature modules for the process's role: `api` serves HTTP, `worker` runs tasks and answers its
 * probes (worker.probe_port), `all` does both. The monitors and alerts modules join here as they arrive.
 */
@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    const imports: NonNullable<ModuleMetadata['imports']> = [
      ConfigModule.forRoot(config),
      DatabaseModule.forRoot(config),
      QueueModule,
    ];
    if (servesHttp(config)) imports.push(AuthModule, HealthModule, MetricsModule, AdminModule);
    // A worker-only process answers its probes on a port of its own; with role all, the API's routes do.
    else if (config.worker.probePort > 0) imports.push(WorkerProbeModule);
    imports.push(MonitorsModule, AlertsModule, SyncScheduleModule, WebhooksModule);
    return { module: AppModule, imports, providers: [ShutdownLog] };
  }
}

export function servesHttp(config: AppConfig): boolean {
  return config.role !== 'worker';
}
