import { createBullBoard } from '@bull-board/api';
import { ExpressAdapter } from '@bull-board/express';
import { type MiddlewareConsumer, Module, type NestModule } from '@nestjs/common';
import { DiscoveryModule, DiscoveryService } from '@nestjs/core';
import Bull, { type Queue } from 'bull';
import type { Express, NextFunction, Request, RequestHandler, Response } from 'express';
import { AuthModule } from '../auth/auth.module';
import { Privilege } from '../auth/users/user.entity';
import { SyncScheduleModule } from '../monitors/schedule/sync-schedule.module';
import { DeadLetters } from '../queue/dead-letters.service';
import { QueueModule } from '../queue/queue.module';
import { dashboardAuthMiddleware } from './admin-auth.middleware';
import { boardActions, dashboardUser } from './board-actions';
import { boardAdapters } from './board-queues';
import { DashboardAuth } from './dashboard-auth.service';
import { offlineDashboardPage } from './offline-dashboard-page';

/** Where the dashboard is served, outside the /api/v1 prefix (configure-http.ts leaves it unprefixed). */
export const DASHBOARD_ROUTE = '/admin/queues';

/**
 * Bull Board at /admin/queues, in processes that serve HTTP, for every user: privilege 1 sees it read-only,
 * privilege 2 may also retry, promote and clean (of ended jobs) from it, each action logged with the user; the rest
 * (pause, empty, delete...) goes through the API, which keeps dead letters, deduplication and task ids consistent.
 *
 * Two boards over the same queues, one read-only and one for operators, picked per request by the user's privilege:
 * Bull Board's read-only mode is per board, and a reader should not be shown buttons that only answer 403.
 * Mounted the way @bull-board/nestjs's BullBoardModule mounts it (the Express adapter's router as middleware,
 * behind our own middleware), but from @bull-board/api and @bull-board/express directly: @bull-board/nestjs 9 is
 * CommonJS that require()s the ES-module-only NestJS 12, which Node runs but Jest's ES-module mode cannot load.
 */
@Module({
  imports: [AuthModule, DiscoveryModule, QueueModule, SyncScheduleModule],
  providers: [DashboardAuth],
})
export class AdminModule implements NestModule {
  constructor(
    private readonly auth: DashboardAuth,
    private readonly discovery: DiscoveryService,
    private readonly deadLetters: DeadLetters,
  ) {}

  configure(consumer: MiddlewareConsumer): void {
    const queues = this.queues();
    const reader = board(queues, true);
    const operator = board(queues, false);
    const actions = boardActions(new Map(queues.map((queue) => [queue.name, queue])), this.deadLetters);
    const byPrivilege: RequestHandler = (req: Request, res: Response, next: NextFunction) => {
      if (dashboardUser(res).privileges >= Privilege.Write) return actions(req, res, () => operator(req, res, next));
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res
          .status(403)
          .json({ statusCode: 403, message: 'The dashboard is read-only below privilege 2', error: 'Forbidden' });
        return;
      }
      reader(req, res, next);
    };
    consumer.apply(dashboardAuthMiddleware(this.auth), offlineDashboardPage(), byPrivilege).forRoutes(DASHBOARD_ROUTE);
  }

  /** Every Bull queue registered in this process (the task types, the dead letters, the schedule and any other). */
  private queues(): Queue[] {
    const found = new Map<string, Queue>();
    for (const { instance } of this.discovery.getProviders()) {
      if (instance instanceof Bull && !found.has(instance.name)) found.set(instance.name, instance);
    }
    return [...found.values()];
  }
}

/** One Bull Board over the queues, as an Express router. */
function board(queues: Queue[], readOnly: boolean): Express {
  const serverAdapter = new ExpressAdapter().setBasePath(DASHBOARD_ROUTE);
  createBullBoard({
    queues: boardAdapters(queues, readOnly),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'Nagare queues' } },
  });
  // The board is an Express app of its own, which would set X-Powered-By again on what it answers.
  const router = serverAdapter.getRouter() as Express;
  router.disable('x-powered-by');
  return router;
}
