import { getQueueToken } from '@nestjs/bull';
import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { Queue } from 'bull';
import { RedisConnections } from './redis-connections';
import { DEAD_LETTER_QUEUE, TASK_TYPES } from './task-types';

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
    const names = [...TASK_TYPES, DEAD_LETTER_QUEUE];
    this.queues = names.map((name) => this.moduleRef.get<Queue>(getQueueToken(name), { strict: false }));
    for (const queue of this.queues) {
      queue.on('error', (error: Error) => this.logRedisError(error));
      // @nestjs/bull closes each queue waiting for its active jobs; TaskRuntime has already drained or requeued
      // them within the shutdown timeout, so closing must not wait again (a hung job would hang the exit).
      (queue as Queue & { onApplicationShutdown?: () => Promise<void> }).onApplicationShutdown = () =>
        queue.close(true);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all(this.queues.map((queue) => queue.close(true).catch(() => undefined)));
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
