import { Processor } from '@nestjs/bull';
import type { ProgressReporter } from '../../queue/progress-reporter';
import { TaskHandler, type TaskRun } from '../../queue/task-handler.decorator';
import type { Payload } from '../../queue/task-types';
import { AlertPullService, type AlertPullResult } from '../zabbix/alert-pull.service';

/** Pulls a monitor's problems as alerts; deferred while another sync holds the monitor. */
@Processor('pull_alerts')
export class PullAlertsProcessor {
  constructor(private readonly pulls: AlertPullService) {}

  @TaskHandler('pull_alerts')
  handle(params: Payload<'pull_alerts'>, _progress: ProgressReporter, task: TaskRun): Promise<AlertPullResult> {
    return this.pulls.pull(params.monitor_id, { task });
  }
}
