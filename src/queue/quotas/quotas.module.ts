import { Module } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { BatchedQuota } from '../../common/rate-limit/batched-quota';
import { insuredRateLimiter } from '../../common/rate-limit/insured-rate-limiter';
import { RedisConnections } from '../../redis/redis-connections';
import { RedisConnectionsModule } from '../../redis/redis-connections.module';
import { ENQUEUE_QUOTA, EnqueueRateGuard } from './enqueue-rate.guard';
import { EventStreamSlots } from './event-stream-slots';

const ENQUEUE_LIMIT_TIMEOUT_MS = 200;

/** Per-user quotas: the async routes' enqueue rate, and open task event streams. */
@Module({
  imports: [RedisConnectionsModule],
  providers: [
    {
      provide: ENQUEUE_QUOTA,
      inject: [APP_CONFIG, RedisConnections],
      // As the login limiter: in Redis beside the queues, in each process's memory while Redis is away. Waits
      // less for a stalled Redis, since the enqueue's own 1.2 s bound follows and the answer is due within 2 s.
      // Far from the limit, counted in batches (BatchedQuota): one Redis call per batch rather than per request;
      // what is still unsent at shutdown is sent before the connections close.
      useFactory: (config: AppConfig, connections: RedisConnections) => {
        const limiter = insuredRateLimiter(
          connections.failFast('enqueue-limiter'),
          { keyPrefix: `${config.queue.prefix}:quota:enqueue`, points: config.quota.enqueuePerMinute, duration: 60 },
          ENQUEUE_LIMIT_TIMEOUT_MS,
        );
        const quota = new BatchedQuota(limiter, config.quota.enqueuePerMinute);
        connections.onClosing(() => quota.flush());
        return quota;
      },
    },
    EnqueueRateGuard,
    EventStreamSlots,
  ],
  exports: [ENQUEUE_QUOTA, EnqueueRateGuard, EventStreamSlots],
})
export class QuotasModule {}
