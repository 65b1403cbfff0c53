import { UpstreamError } from '../../common/http/domain-error';

/**
 * Errors a monitor can give us. Each carries the monitor's reason, which ends up in the monitor's
 * status_description and in a 502; none ever carries the monitor's password or session token.
 */
export class MonitorUnreachableError extends UpstreamError {}

export class MonitorAuthenticationError extends UpstreamError {}

export class MonitorApiError extends UpstreamError {
  constructor(
    message: string,
    readonly code?: number,
  ) {
    super(message);
  }
}
