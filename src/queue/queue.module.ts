import { BullModule } from '@nestjs/bull';
import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { DeadLetterRecovery } from './dead-letter-recovery.service';
import { IdempotencyRecords } from './idempotency/idempotency-records';
import { DeadLetters } from './dead-letters.service';
import { QueueController } from './queue.controller';
import { QueueControlsController } from './queue-controls.controller';
import { QueuePauses } from './queue-pauses.service';
import { TaskCancellation } from './task-cancellation.service';
import { QueueStatsService } from './queue-stats.service';
import { QuotasModule } from './quotas/quotas.module';
import { RedisConnections } from '../redis/redis-connections';
import { RedisConnectionsModule } from '../redis/redis-connections.module';
import { TaskProducer } from './task-producer.service';
import { TaskQueues } from './task-queues';
import { TaskDedupe } from './task-dedupe';
import { TaskEndedHook } from './task-ended.hook';
import { TaskHandlers } from './task-handlers';
import { TaskWorkers } from './task-workers.service';
import { WorkerHost } from './worker-host';
import { TaskEventsController } from './task-events.controller';
import { TaskEvents } from './task-events.service';
import { TaskStatusService } from './task-status.service';
import { TaskTargets } from './task-targets';
import { DEAD_LETTER_QUEUE, TASK_TYPES } from './task-types';

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
 * producer that is their only writer, and the worker host every queue's jobs run on. Depends on no feature
 * module: features bring their own @Processor classes with a @TaskHandler() method, and the webhooks subscribe
 * to the task-ended hook.
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
    QuotasModule,
    DiscoveryModule,
  ],
  controllers: [QueueController, QueueControlsController, TaskEventsController],
  providers: [
    WorkerHost,
    TaskHandlers,
    TaskWorkers,
    TaskEndedHook,
    TaskQueues,
    TaskProducer,
    TaskDedupe,
    DeadLetters,
    DeadLetterRecovery,
    IdempotencyRecords,
    TaskStatusService,
    TaskTargets,
    TaskEvents,
    QueueStatsService,
    QueuePauses,
    TaskCancellation,
  ],
  exports: [
    BullModule,
    RedisConnectionsModule,
    TaskProducer,
    IdempotencyRecords,
    WorkerHost,
    TaskEndedHook,
    TaskQueues,
    TaskTargets,
    DeadLetters,
    QueuePauses,
  ],
})
export class QueueModule {}
