/**
 * Errors services throw about the domain, free of HTTP. The global filter maps each kind to a status, so a
 * service can be called from a controller or a queue processor alike.
 */
export type DomainErrorKind = 'invalid' | 'not_found' | 'conflict' | 'unprocessable' | 'unavailable' | 'upstream';

export abstract class DomainError extends Error {
  abstract readonly kind: DomainErrorKind;
  /** Retrying cannot fix it whatever its kind (a refused API token): a task failing with it is not retried. */
  readonly final: boolean = false;
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

export class NotFoundError extends DomainError {
  readonly kind = 'not_found';
}

export class ConflictError extends DomainError {
  readonly kind = 'conflict';
}

/** Well-formed, but refused for what it says (a monitor rejected the object it was sent). */
export class UnprocessableError extends DomainError {
  readonly kind = 'unprocessable';
}

export class InvalidInputError extends DomainError {
  readonly kind = 'invalid';
}

/** A dependency of ours (Redis, the database) is down: the client may retry later. */
export class ServiceUnavailableError extends DomainError {
  readonly kind = 'unavailable';
}

/** A monitor (an upstream server) failed or refused us: never a 401, which would blame the client's own token. */
export class UpstreamError extends DomainError {
  readonly kind = 'upstream';
}
