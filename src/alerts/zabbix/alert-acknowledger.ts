import { Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull } from 'typeorm';
import { InvalidInputError, NotFoundError } from '../../common/http/domain-error';
import type { ReadRepository } from '../../database/read-repository';
import { MonitorProviders } from '../../monitors/providers/monitor-providers';
import { MonitorsService } from '../../monitors/services/monitors.service';
import { Alert } from '../entities/alert.entity';
import { AlertStatus } from '../entities/alert-levels';
import { AlertsWriter } from '../services/alerts-writer';

/** What an acknowledge_alert task did. */
export interface AcknowledgedOnMonitor {
  monitor_id: number;
  event_id: string;
}

/**
 * acknowledge_alert: an acknowledgement made in Nagare, sent to the monitor that owns the problem
 * (Zabbix event.acknowledge with a message naming the Nagare user), then marked as sent.
 */
@Injectable()
export class AlertAcknowledger {
  private readonly logger = new Logger(AlertAcknowledger.name);

  constructor(
    @InjectRepository(Alert) private readonly alerts: ReadRepository<Alert>,
    private readonly monitors: MonitorsService,
    private readonly providers: MonitorProviders,
    private readonly writer: AlertsWriter,
  ) {}

  async acknowledge(alertId: number): Promise<AcknowledgedOnMonitor> {
    const alert = await this.alerts.findOneBy({ id: alertId });
    if (!alert) throw new NotFoundError(`Alert ${alertId} not found`);
    if (alert.source !== 'zabbix' || alert.monitorId === null || alert.externalId === null) {
      throw new InvalidInputError(`Alert ${alertId} is not a problem of a monitor`);
    }
    const monitor = await this.monitors.getEnabled(alert.monitorId);
    const message = `Acknowledged in Nagare by ${alert.acknowledgedBy ?? 'an unknown user'}`;
    await this.providers.for(monitor.type).acknowledgeProblem(this.monitors.target(monitor), alert.externalId, message);
    // The monitor has it now, and may undo it from here on. Only the acknowledgement sent is marked: one undone
    // and made again meanwhile waits for its own task.
    await this.writer.update(
      { id: alertId, status: AlertStatus.Acknowledged, acknowledgedBy: alert.acknowledgedBy ?? IsNull() },
      { acknowledgementSentAt: new Date() },
    );
    this.logger.log({ msg: 'acknowledged on the monitor', alert_id: alertId, monitor_id: monitor.id });
    return { monitor_id: monitor.id, event_id: alert.externalId };
  }
}
