import { BullModule } from '@nestjs/bull';
import { Module } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { DeadLetterRecovery } from './dead-letter-recovery.service';
import { DeadLetters } from './dead-letters.service';
import { QueueController } from './queue.controller';
import { QueueLifecycle } from './queue-lifecycle.service';
import { QueueStatsService } from './queue-stats.service';
import { RedisConnections } from './redis-connections';
import { RedisConnectionsModule } from './redis-connections.module';
import { TaskProducer } from './task-producer.service';
import { TaskQueues } from './task-queues';
import { TaskEventsController } from './task-events.controller';
import { TaskEvents } from './task-events.service';
import { TaskRuntime } from './task-runtime.service';
import { TaskStatusService } from './task-status.service';
import { DEAD_LETTER_QUEUE, TASK_TYPES } from './task-types';
import { WebhooksModule } from '../webhooks/webhooks.module';

/**
 * A worker killed mid-task is a failed attempt that Bull's stall check finds rather than the handler: the task gets
 * as many recoveries from crashes as it gets retries from failures, not Bull's default of one. With one, a task
 * whose worker crashed twice (an OOM-looping pod, a node drained twice) went to the dead letters unfinished.
 */
export function bullSettings(config: AppConfig): { maxStalledCount: number } {
  return { maxStalledCount: Math.max(1, config.queue.maxRetries) };
}

/**
 * The one shared Bull registration: a queue per task type and the dead-letter queue under `queue.prefix`, the
 * producer that is their only writer, and the runtime the feature modules' processors run in. Depends on no
 * feature module: features bring their own @Processor classes.
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
        settings: bullSettings(config),
      }),
    }),
    BullModule.registerQueue(...[...TASK_TYPES, DEAD_LETTER_QUEUE].map((name) => ({ name }))),
    WebhooksModule,
  ],
  controllers: [QueueController, TaskEventsController],
  providers: [
    QueueLifecycle,
    TaskQueues,
    TaskProducer,
    DeadLetters,
    DeadLetterRecovery,
    TaskRuntime,
    TaskStatusService,
    TaskEvents,
    QueueStatsService,
  ],
  exports: [BullModule, RedisConnectionsModule, TaskProducer, TaskRuntime, TaskQueues, DeadLetters],
})
export class QueueModule {}
