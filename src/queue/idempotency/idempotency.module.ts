import { Module } from '@nestjs/common';
import { QueueModule } from '../queue.module';
import { IdempotentTasks } from './idempotent-tasks.service';

/**
 * Idempotency-Key for the async routes: the features' controllers enqueue through IdempotentTasks. The records
 * themselves come from QueueModule, whose dead-letter retries use them too.
 */
@Module({
  imports: [QueueModule],
  providers: [IdempotentTasks],
  exports: [IdempotentTasks],
})
export class IdempotencyModule {}
