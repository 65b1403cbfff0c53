import { InvalidInputError } from '../../common/http/domain-error';
import type { CreateMonitorDto, UpdateMonitorDto } from '../dto/monitor.dto';
import type { Monitor } from '../entities/monitor.entity';

type Credentials = Pick<CreateMonitorDto, 'username' | 'password' | 'api_token'>;

const EITHER_NOT_BOTH = 'send either api_token or username and password, not both';

/** A new monitor authenticates with an API token or with a username and password pair: one of the two. */
export function requireOneKindOfCredentials(input: Credentials): void {
  const passwordPart = input.username !== undefined || input.password !== undefined;
  if (input.api_token !== undefined) {
    if (passwordPart) throw new InvalidInputError(EITHER_NOT_BOTH);
    return;
  }
  if (input.username === undefined || input.password === undefined) {
    throw new InvalidInputError('username and password, or api_token, are required');
  }
}

/**
 * The stored password or API token goes wherever url and type point, and the password proves whichever username
 * it is sent with. Changing url or type without sending the credentials again would let the editor send the
 * owner's secret to a server of the editor's choice; changing only the username would let the editor try the
 * password against another account.
 */
export function requireCredentialsWhenTheyMove(monitor: Monitor, changes: UpdateMonitorDto): void {
  if (changes.api_token !== undefined && (changes.username !== undefined || changes.password !== undefined)) {
    throw new InvalidInputError(EITHER_NOT_BOTH);
  }
  const moves =
    (changes.url !== undefined && changes.url !== monitor.url) ||
    (changes.type !== undefined && changes.type !== monitor.type);
  const pair = changes.password !== undefined && changes.username !== undefined;
  if (moves && !pair && changes.api_token === undefined) {
    throw new InvalidInputError(
      'password and username, or api_token, must be sent again when url or type changes: the stored ones go only where they were given',
    );
  }
  if (changes.username !== undefined && changes.username !== monitor.username && changes.password === undefined) {
    throw new InvalidInputError(
      'password must be sent again when username changes: the stored one is never tried with another username',
    );
  }
  if (changes.password !== undefined && changes.username === undefined && monitor.apiTokenEncrypted !== null) {
    throw new InvalidInputError('username must be sent with password: the monitor authenticates with an api_token');
  }
}
