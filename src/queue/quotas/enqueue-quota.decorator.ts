import { applyDecorators, type CanActivate, type Type, UseGuards } from '@nestjs/common';
import { ApiTooManyRequestsResponse } from '@nestjs/swagger';
import { EnqueueRateGuard } from './enqueue-rate.guard';

/**
 * The per-user enqueue rate on a route that queues a task, and its 429 in the OpenAPI document. A route that queues
 * only on some requests passes its own guard, an EnqueueRateGuard that counts just those.
 */
export const EnqueueQuota = (guard: Type<CanActivate> = EnqueueRateGuard) =>
  applyDecorators(
    UseGuards(guard),
    ApiTooManyRequestsResponse({
      description:
        'This user queued quota.enqueue_per_minute tasks in the last minute; nothing was queued. retry_after (and ' +
        'the Retry-After header) says when to retry',
      headers: { 'Retry-After': { description: 'Seconds until a task may be queued', schema: { type: 'integer' } } },
    }),
  );
