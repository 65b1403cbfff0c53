import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { RedisConnectionsModule } from '../redis/redis-connections.module';
import { ReadinessCheck } from './readiness-check';
import { RedisHealthIndicator } from './redis.health';

/** Terminus and the readiness check, for whichever server answers the probes: the API's, or a worker's own. */
@Module({
  imports: [TerminusModule.forRoot({ errorLogStyle: 'json', gracefulShutdownTimeoutMs: 0 }), RedisConnectionsModule],
  providers: [RedisHealthIndicator, ReadinessCheck],
  exports: [TerminusModule, ReadinessCheck],
})
export class HealthChecksModule {}
