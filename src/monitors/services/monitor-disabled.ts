import { ConflictError } from '../../common/http/domain-error';

/**
 * A monitor that is disabled: refused when a sync is asked for (409) and, for a task queued before it was disabled,
 * when the task would run: straight to the dead letters, since only an operator enabling it again can change the
 * answer, and the dead letter can be retried then.
 */
export class MonitorDisabledError extends ConflictError {
  override readonly final = true;

  constructor(monitorId: number) {
    super(`Monitor ${monitorId} is disabled`);
  }
}
