import { ConflictError } from '../../common/http/domain-error';
import type { Monitor } from '../entities/monitor.entity';

/**
 * A task for a monitor in auth_failed: refused when queued (409) and, for one queued before, when it would run
 * (straight to the dead letters, no login tried). Each retry would be one more refused login toward Zabbix's lockout
 * of the account; an operator's synchronous sync or check still tries, and new credentials clear the status.
 */
export class MonitorAuthFailedError extends ConflictError {
  override readonly final = true;

  constructor(monitor: Pick<Monitor, 'id' | 'statusDescription'>) {
    super(
      `Monitor ${monitor.id} is auth_failed (status 4): ${monitor.statusDescription}. No task runs on it until its ` +
        `credentials change (PATCH /monitors/${monitor.id}) or a synchronous sync or check logs in`,
    );
  }
}
