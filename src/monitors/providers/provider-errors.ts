import { ConflictError, DomainError, UpstreamError } from '../../common/http/domain-error';

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

/**
 * The monitor sent a reply larger than the service reads (ZABBIX_MAX_REPLY_BYTES, inflated): the rest was not read,
 * so a server gone wrong, or one that sends without end, cannot exhaust the process's memory. Asking again gets the
 * same reply: not retried. The items of many hosts are asked for again in halves before it comes to this.
 */
export class MonitorReplyTooLargeError extends MonitorApiError {
  override readonly final = true;
}

/**
 * The monitor refused the credentials themselves: a refused login (wrong user name or password, no frontend access)
 * or a refused API token. Retrying with the same ones cannot help and, for a login, counts toward Zabbix's lockout
 * of the account (5 failures block it for 30 s): a task failing with it is not retried, and the monitor goes to
 * auth_failed until its credentials change.
 */
export class MonitorCredentialsRefusedError extends MonitorAuthenticationError {
  override readonly final = true;
}

/**
 * The monitor refused its API token (revoked, disabled, expired). Unlike a session, a token cannot be renewed by
 * logging in again: only its owner can give a new one.
 */
export class MonitorTokenRefusedError extends MonitorCredentialsRefusedError {}

/** user.login was refused in one of Zabbix's known words (which, from 5.4, include an account it has blocked). */
export class MonitorLoginRefusedError extends MonitorCredentialsRefusedError {}

/**
 * Zabbix said outright that the account is blocked after failed logins (its answer before 5.4). Not the
 * credentials' fault as far as is known, so not auth_failed; but retrying within seconds only meets the block again.
 */
export class MonitorAccountBlockedError extends MonitorAuthenticationError {
  override readonly final = true;
}

/**
 * The monitor refused one object it was sent (a host or an item): a name that already exists there (409), a field
 * it rejects or an object the account may not change (422). That object's failure, not the monitor's: the monitor
 * keeps its status, the object gets the reason, and sending the same object again cannot succeed (not retried).
 */
export class MonitorRejectedObjectError extends DomainError {
  readonly kind: 'conflict' | 'unprocessable';
  override readonly final = true;

  constructor(message: string, alreadyExists: boolean) {
    super(message);
    this.kind = alreadyExists ? 'conflict' : 'unprocessable';
  }
}

/**
 * The monitor refused a host because another host of its already has the technical name sent: an error about that
 * one host, not the monitor, and one retrying cannot fix.
 */
export class HostNameTakenError extends ConflictError {
  override readonly final = true;
  constructor(
    message: string,
    readonly technicalName: string,
    /** The monitor's host that has the name, when it could be found. */
    readonly holder: { externalId: string; name: string } | null,
  ) {
    super(message);
  }
}
