import { ApiProperty } from '@nestjs/swagger';
import { TaskQueuedResponse } from '../../queue/queue.dto';

/** What a pull of a monitor's problems answers (and a pull_alerts task's result). */
export class AlertPullResponse {
  @ApiProperty({ type: 'integer', example: 2, description: 'Problems new here: alerts created' }) added!: number;
  @ApiProperty({
    type: 'integer',
    example: 1,
    description: 'Known problems whose alert changed (name, severity, host, item, acknowledged on the monitor)',
  })
  updated!: number;
  @ApiProperty({
    type: 'integer',
    example: 1,
    description: 'Alerts of problems the monitor has closed since, now resolved at the time it closed them',
  })
  resolved!: number;
  @ApiProperty({ type: 'integer', example: 5, description: 'Open problems the monitor reported' }) total!: number;
}

/** What POST /monitors/:id/alerts/pull-async answers with 202. */
export class AlertPullQueuedResponse extends TaskQueuedResponse {
  @ApiProperty({ example: 'Alert pull task queued' }) declare message: string;
  @ApiProperty({ example: 'pull_alerts:42' }) declare task_id: string;
  @ApiProperty({ type: 'integer', example: 1 }) monitor_id!: number;
}
