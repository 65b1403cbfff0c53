import { applyDecorators } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiConflictResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiServiceUnavailableResponse,
} from '@nestjs/swagger';
import type { Response } from 'express';
import { Privilege, RequirePrivilege } from '../../auth/decorators';
import {
  IDEMPOTENT_REPLAYED_RESPONSE_HEADER,
  IdempotentRoute,
} from '../../queue/idempotency/idempotency-key.decorator';
import { EnqueueQuota } from '../../queue/quotas/enqueue-quota.decorator';
import { SyncTaskQueuedResponse } from '../dto/sync-task-queued.dto';
import { OnMonitorDeleteQuotaGuard } from './on-monitor-delete-quota.guard';
import type { DeleteOutcome } from '../services/inventory-deletes';

/** DELETE /hosts/:id and /items/:id: 204 when deleted here, 202 when its deletion on the monitor was queued. */
export const DeleteEndpoint = (noun: 'host' | 'item') =>
  applyDecorators(
    RequirePrivilege(Privilege.Write),
    ApiNoContentResponse({ description: `Deleted here: the ${noun} was on no monitor` }),
    ApiAcceptedResponse({
      type: SyncTaskQueuedResponse,
      description:
        `With on_monitor=true, for a ${noun} on a monitor: its deletion there is queued (a push_${noun} task ` +
        'with delete: true, followed at GET /api/v1/tasks/{task_id}); once the monitor no longer has it, it is ' +
        'deleted here',
      headers: IDEMPOTENT_REPLAYED_RESPONSE_HEADER,
    }),
    ApiNotFoundResponse({ description: `No such ${noun}` }),
    ApiConflictResponse({
      description:
        `The ${noun} is on a monitor and on_monitor=true was not given (the next pull would bring it back); or, ` +
        'with it, the monitor is disabled. Nothing was deleted',
    }),
    ApiServiceUnavailableResponse({
      description: 'With on_monitor=true: Redis is unavailable, the deletion is not known to be queued',
    }),
    IdempotentRoute(),
    EnqueueQuota(OnMonitorDeleteQuotaGuard),
  );

/** Sets the status of the outcome and gives the 202 body, or nothing for a 204. */
export function answerDelete(res: Response, outcome: DeleteOutcome): SyncTaskQueuedResponse | undefined {
  if (outcome.deleted) {
    res.status(204);
    return undefined;
  }
  res.status(202);
  const { queued, monitorId, hostId, itemId } = outcome;
  return {
    message: `${itemId === undefined ? 'Host' : 'Item'} delete task queued`,
    task_id: queued.taskId,
    ...(queued.deduplicated ? { deduplicated: true } : {}),
    monitor_id: monitorId,
    host_id: hostId,
    ...(itemId === undefined ? {} : { item_id: itemId }),
  };
}
