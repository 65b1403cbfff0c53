import { Logger } from '@nestjs/common';

const ERROR_LOG_INTERVAL_MS = 10_000;

/** Logs a Redis error at most every 10 s per message, so an outage does not flood the log. */
export class RedisErrorLog {
  private readonly logger = new Logger('queue');
  private readonly lastLogged = new Map<string, number>();

  report(error: Error): void {
    const now = Date.now();
    if (now - (this.lastLogged.get(error.message) ?? 0) < ERROR_LOG_INTERVAL_MS) return;
    this.lastLogged.set(error.message, now);
    this.logger.warn({ msg: 'Redis unavailable; queues will reconnect by themselves', reason: error.message });
  }
}
