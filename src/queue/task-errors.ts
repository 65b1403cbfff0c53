import { DomainError } from '../common/http/domain-error';

/**
 * A failure retrying cannot fix: the target was deleted, the payload is invalid, the monitor refused its API token. The task goes straight to the
 * dead letters without burning its retries.
 */
export function isFinalFailure(error: unknown): boolean {
  return error instanceof DomainError && (error.final || error.kind === 'not_found' || error.kind === 'invalid');
}

/** The payload of a job does not match its task type. */
export class InvalidTaskPayloadError extends DomainError {
  readonly kind = 'invalid';
}

/**
 * A task that cannot start its work yet (another task holds its monitor). The worker host gives its slot back and
 * runs it again shortly; the wait is not an attempt.
 */
export class TaskDeferredError extends Error {
  constructor(message: string) {
    super(message);
    this.name = TaskDeferredError.name;
  }
}
