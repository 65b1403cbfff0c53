import { Processor } from '@nestjs/bull';
import { TaskHandler } from '../../queue/task-handler.decorator';
import type { Payload } from '../../queue/task-types';
import { type AcknowledgedOnMonitor, AlertAcknowledger } from '../zabbix/alert-acknowledger';

/** Sends an acknowledgement made in Nagare to the monitor that owns the problem. */
@Processor('acknowledge_alert')
export class AcknowledgeAlertProcessor {
  constructor(private readonly acknowledger: AlertAcknowledger) {}

  @TaskHandler('acknowledge_alert')
  handle(params: Payload<'acknowledge_alert'>): Promise<AcknowledgedOnMonitor> {
    return this.acknowledger.acknowledge(params.alert_id);
  }
}
