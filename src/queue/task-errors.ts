import { DomainError } from '../common/http/domain-error';

/**
 * A failure retrying cannot fix: the target was deleted, the payload is invalid. The task goes straight to the
 * dead letters without burning its retries.
 */
export function isFinalFailure(error: unknown): boolean {
  return error instanceof DomainError && (error.kind === 'not_found' || error.kind === 'invalid');
}

/** The payload of a job does not match its task type. */
export class InvalidTaskPayloadError extends DomainError {
  readonly kind = 'invalid';
}
