import { type ExecutionContext, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { EnqueueRateGuard } from '../../queue/quotas/enqueue-rate.guard';
import { toBoolean } from '../dto/query-boolean';

/**
 * The enqueue quota on DELETE /hosts/:id and /items/:id: with `on_monitor=true` the route queues a push task and
 * counts as an enqueue; without it nothing is queued and nothing is counted.
 */
@Injectable()
export class OnMonitorDeleteQuotaGuard extends EnqueueRateGuard {
  override canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const { query } = context.switchToHttp().getRequest<Request>();
    return toBoolean({ value: query.on_monitor } as Parameters<typeof toBoolean>[0]) === true
      ? super.canActivate(context)
      : true;
  }
}
