import { createBullBoard } from '@bull-board/api';
import { BullAdapter } from '@bull-board/api/bullAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { type MiddlewareConsumer, Module, type NestModule } from '@nestjs/common';
import { DiscoveryModule, DiscoveryService } from '@nestjs/core';
import Bull, { type Queue } from 'bull';
import { AuthModule } from '../auth/auth.module';
import { SCHEDULE_QUEUE } from '../monitors/schedule/sync-schedule.constants';
import { SyncScheduleModule } from '../monitors/schedule/sync-schedule.module';
import { QueueModule } from '../queue/queue.module';
import { DEAD_LETTER_QUEUE, TASK_TYPES } from '../queue/task-types';
import { dashboardAuthMiddleware } from './admin-auth.middleware';
import { DashboardAuth } from './dashboard-auth.service';

/** Where the dashboard is served, outside the /api/v1 prefix (configure-http.ts leaves it unprefixed). */
export const DASHBOARD_ROUTE = '/admin/queues';

/** What the dashboard says about the queues it knows; it shows any other Bull queue of the process too. */
const DESCRIPTIONS: Readonly<Record<string, string>> = {
  ...Object.fromEntries(TASK_TYPES.map((type) => [type, `${type} tasks`])),
  [DEAD_LETTER_QUEUE]: 'tasks that failed for good: retry or delete them through the API',
  [SCHEDULE_QUEUE]: 'runs of the scheduled sync (sync.interval_seconds)',
};
const KNOWN_ORDER = Object.keys(DESCRIPTIONS);

/**
 * Bull Board at /admin/queues for operators (privilege 2 or more), in processes that serve HTTP.
 *
 * Mounted the way @bull-board/nestjs's BullBoardModule mounts it (the Express adapter's router as middleware,
 * behind our own middleware), but from @bull-board/api and @bull-board/express directly: @bull-board/nestjs 9 is
 * CommonJS that require()s the ES-module-only NestJS 12, which Node runs but Jest's ES-module mode cannot load.
 *
 * Read-only: a retry or a deletion goes through the API, which keeps dead letters, deduplication and task ids
 * consistent; the board answers 405 to its own write actions.
 */
@Module({
  imports: [AuthModule, DiscoveryModule, QueueModule, SyncScheduleModule],
  providers: [DashboardAuth],
})
export class AdminModule implements NestModule {
  constructor(
    private readonly auth: DashboardAuth,
    private readonly discovery: DiscoveryService,
  ) {}

  configure(consumer: MiddlewareConsumer): void {
    const serverAdapter = new ExpressAdapter().setBasePath(DASHBOARD_ROUTE);
    createBullBoard({
      queues: this.queues().map(
        (queue) => new BullAdapter(queue, { readOnlyMode: true, description: DESCRIPTIONS[queue.name] ?? '' }),
      ),
      serverAdapter,
      options: { uiConfig: { boardTitle: 'Nagare queues' } },
    });
    consumer
      .apply(dashboardAuthMiddleware(this.auth), serverAdapter.getRouter() as (...args: unknown[]) => void)
      .forRoutes(DASHBOARD_ROUTE);
  }

  /** Every Bull queue registered in this process (the task types, the dead letters, the schedule and any other). */
  private queues(): Queue[] {
    const found = new Map<string, Queue>();
    for (const { instance } of this.discovery.getProviders()) {
      if (instance instanceof Bull && !found.has(instance.name)) found.set(instance.name, instance);
    }
    const rank = (name: string) => (KNOWN_ORDER.includes(name) ? KNOWN_ORDER.indexOf(name) : KNOWN_ORDER.length);
    return [...found.values()].sort((a, b) => rank(a.name) - rank(b.name) || a.name.localeCompare(b.name));
  }
}
