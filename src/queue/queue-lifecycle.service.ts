import { getQueueToken } from '@nestjs/bull';
import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { Queue } from 'bull';
import { RedisConnections } from './redis-connections';
import { TASK_TYPES } from './task-types';

const ERROR_LOG_INTERVAL_MS = 10_000;

/**
 * Watches the queues' Redis errors (logged at most every 10 s per message, so an outage does not flood the
 * log) and closes queues, then connections, on shutdown.
 */
@Injectable()
export class QueueLifecycle implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(QueueLifecycle.name);
  private readonly lastLogged = new Map<string, number>();
  private queues: Queue[] = [];

  constructor(
    private readonly moduleRef: ModuleRef,
    private readonly connections: RedisConnections,
  ) {}

  onModuleInit(): void {
    this.queues = TASK_TYPES.map((type) => this.moduleRef.get<Queue>(getQueueToken(type), { strict: false }));
    for (const queue of this.queues) queue.on('error', (error: Error) => this.logRedisError(error));
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all(this.queues.map((queue) => queue.close().catch(() => undefined)));
    await this.connections.closeAll();
  }

  private logRedisError(error: Error): void {
    const now = Date.now();
    const last = this.lastLogged.get(error.message) ?? 0;
    if (now - last < ERROR_LOG_INTERVAL_MS) return;
    this.lastLogged.set(error.message, now);
    this.logger.warn({ msg: 'Redis unavailable; queues will reconnect by themselves', reason: error.message });
  }
}
