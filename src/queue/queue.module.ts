import { BullModule } from '@nestjs/bull';
import { Module } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { QueueLifecycle } from './queue-lifecycle.service';
import { RedisConnections } from './redis-connections';
import { RedisConnectionsModule } from './redis-connections.module';
import { TASK_TYPES } from './task-types';

/**
 * The one shared Bull registration: a queue per task type under `queue.prefix`, injected by the feature
 * modules that enqueue tasks or host their processors.
 */
@Module({
  imports: [
    RedisConnectionsModule,
    BullModule.forRootAsync({
      imports: [RedisConnectionsModule],
      inject: [APP_CONFIG, RedisConnections],
      useFactory: (config: AppConfig, connections: RedisConnections) => ({
        prefix: config.queue.prefix,
        createClient: connections.create,
      }),
    }),
    BullModule.registerQueue(...TASK_TYPES.map((name) => ({ name }))),
  ],
  providers: [QueueLifecycle],
  exports: [BullModule, RedisConnectionsModule],
})
export class QueueModule {}
