import { SyncStatus } from '../entities/sync-status';
import { CredentialsUnreadableError } from '../credentials-cipher';
import { MonitorCredentialsRefusedError } from '../providers/provider-errors';

/**
 * The status a monitor gets when a call to it failed: auth_failed when only new credentials can fix it (refused
 * credentials, stored credentials no key opens any more), else error.
 */
export function statusOfUpstreamFailure(error: unknown): SyncStatus {
  const needsNewCredentials =
    error instanceof MonitorCredentialsRefusedError || error instanceof CredentialsUnreadableError;
  return needsNewCredentials ? SyncStatus.AuthFailed : SyncStatus.Error;
}
