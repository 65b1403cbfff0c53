import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';

/**
 * The last line of a clean shutdown, once the server, the queues, Redis and the database are closed: an operator
 * reading the log tells a clean stop from a crash by it.
 */
@Injectable()
export class ShutdownLog implements OnApplicationShutdown {
  private readonly logger = new Logger('Bootstrap');

  onApplicationShutdown(signal?: string): void {
    this.logger.log({ msg: 'Nagare stopped', signal: signal ?? null });
  }
}
