import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { AuthenticatedRequest } from '../../auth/decorators';
import type { BatchedQuota } from '../../common/rate-limit/batched-quota';
import { tooManyRequests } from './too-many-requests';

/** Injection token of the per-user enqueue quota (QuotasModule builds it). */
export const ENQUEUE_QUOTA = Symbol('ENQUEUE_QUOTA');

/**
 * `quota.enqueue_per_minute` requests to the async routes per user in a minute; the next one is 429 with
 * Retry-After until the minute is over. Runs after the global bearer guard, so the user is known. Far from the
 * limit, the count is taken in this process and sent to Redis in batches (BatchedQuota): no promise, no round trip.
 */
@Injectable()
export class EnqueueRateGuard implements CanActivate {
  constructor(@Inject(ENQUEUE_QUOTA) private readonly quota: BatchedQuota) {}

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const { user } = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const wait = this.quota.consume(String(user.id));
    return typeof wait === 'number' ? allowed(wait) : wait.then(allowed);
  }
}

function allowed(wait: number): true {
  if (wait > 0) throw tooManyRequests(`Too many tasks queued; try again in ${wait} s`, wait);
  return true;
}
