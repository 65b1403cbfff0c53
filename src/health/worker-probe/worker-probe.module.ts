import { Module } from '@nestjs/common';
import { HealthChecksModule } from '../health-checks.module';
import { WorkerProbeServer } from './worker-probe.server';

/** A worker-only process's /health/live and /health/ready on its own port (app.module.ts decides when). */
@Module({
  imports: [HealthChecksModule],
  providers: [WorkerProbeServer],
})
export class WorkerProbeModule {}
