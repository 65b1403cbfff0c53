import { Injectable, Logger } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { QueuePauses } from '../queue/queue-pauses.service';
import { TASK_TYPES } from '../queue/task-types';
import { redisReply } from '../redis/bounded';
import { RedisConnections } from '../redis/redis-connections';
import { MetricsRegistry } from './metrics.registry';
import { QUEUE_READ_TIMEOUT_MS } from './queue-metrics.service';

/**
 * `nagare_queue_paused{type}`: 1 while a task type is paused for every worker (POST /queue/:type/pause), else 0,
 * read from Redis at scrape time. While Redis does not answer the scrape goes on without it.
 */
@Injectable()
export class QueuePausedGauge {
  private readonly logger = new Logger('metrics');

  constructor(metrics: MetricsRegistry, pauses: QueuePauses, connections: RedisConnections) {
    const logger = this.logger;
    new Gauge({
      name: 'nagare_queue_paused',
      help: '1 while the task type is paused for every worker (POST /api/v1/queue/:type/pause), else 0',
      labelNames: ['type'] as const,
      registers: [metrics.registry],
      async collect() {
        this.reset();
        try {
          const read = () => pauses.pausedTypes();
          const paused = await redisReply(connections.commandClient, read, QUEUE_READ_TIMEOUT_MS);
          for (const type of TASK_TYPES) this.set({ type }, paused.includes(type) ? 1 : 0);
        } catch (error) {
          logger.warn(`paused gauge unavailable: ${(error as Error).message}`);
        }
      },
    });
  }
}
