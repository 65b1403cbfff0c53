import { Injectable, Logger } from '@nestjs/common';
import { MonitorSessions, type SyncOptions } from '../../monitors/sync/monitor-sessions';
import { ProblemAlerts } from './problem-alerts';

/** What a pull of a monitor's problems did. */
export interface AlertPullResult {
  /** Problems that were new here: alerts created. */
  added: number;
  /** Known problems whose alert changed (name, severity, host or item, acknowledged). */
  updated: number;
  /** Alerts of problems the monitor has closed since, now resolved. */
  resolved: number;
  /** Open problems the monitor reported. */
  total: number;
}

/**
 * pull_alerts: the monitor's open problems become alerts, and the alerts of problems it closed are resolved at the
 * time it closed them. Runs in a monitor session like the other syncs (MonitorSessions: the monitor's lock, status 2
 * for an unreachable monitor and 4 for refused credentials, a queued pull deferred while the monitor is busy).
 */
@Injectable()
export class AlertPullService {
  private readonly logger = new Logger(AlertPullService.name);

  constructor(
    private readonly sessions: MonitorSessions,
    private readonly problems: ProblemAlerts,
  ) {}

  async pull(monitorId: number, options: SyncOptions = {}): Promise<AlertPullResult> {
    return this.sessions.run(monitorId, options, async ({ provider, target }) => {
      // Taken before asking: an acknowledgement sent to the monitor after this may not be in its answer.
      const observedAt = new Date();
      const open = await provider.listProblems(target);
      const states = await this.problems.statesOf(monitorId, open, observedAt);
      const { added, updated } = await this.problems.apply(monitorId, states);
      const closed = await this.problems.openElsewhere(
        monitorId,
        open.map((problem) => problem.eventId),
      );
      const resolved = await this.problems.resolve(monitorId, await provider.problemResolutions(target, closed));
      const result = { added, updated, resolved, total: open.length };
      this.logger.log({ msg: 'pulled alerts', monitor_id: monitorId, ...result });
      return result;
    });
  }
}
