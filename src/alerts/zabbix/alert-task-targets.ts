import { Injectable, type OnModuleInit } from '@nestjs/common';
import { MonitorsService } from '../../monitors/services/monitors.service';
import { TaskTargets } from '../../queue/task-targets';

/** A pull_alerts task is queued only for a monitor that exists (404) and is enabled (409), as the host syncs. */
@Injectable()
export class AlertTaskTargets implements OnModuleInit {
  constructor(
    private readonly targets: TaskTargets,
    private readonly monitors: MonitorsService,
  ) {}

  onModuleInit(): void {
    this.targets.register(['pull_alerts'], async (_type, params) => {
      // A payload with no usable id (a dead letter's) is not judged here: the processor refuses it.
      if (Number.isInteger(params.monitor_id) && params.monitor_id > 0)
        await this.monitors.getEnabled(params.monitor_id);
    });
  }
}
