import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { RedisConnections } from '../redis/redis-connections';

/** Pings Redis on the queues' own command connection: no extra connection per probe. */
@Injectable()
export class RedisHealthIndicator {
  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly connections: RedisConnections,
  ) {}

  check(key: 'redis', timeoutMs: number) {
    return this.indicators
      .check(key)
      .attempt(async () => {
        const client = this.connections.commandClient;
        // While disconnected, fail at once rather than queue the ping in ioredis's offline queue.
        if (client.status !== 'ready') throw new Error(`Redis connection is ${client.status}`);
        await client.ping();
      })
      .withTimeout(timeoutMs);
  }
}
