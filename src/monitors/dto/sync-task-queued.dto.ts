import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { TaskQueuedResponse } from '../../queue/queue.dto';

/** What the sync async endpoints answer with 202: the task, and the ids it was queued for (as the guide shows). */
export class SyncTaskQueuedResponse extends TaskQueuedResponse {
  @ApiProperty({ type: 'integer', example: 1 }) monitor_id!: number;
  @ApiPropertyOptional({ type: 'integer', example: 7, description: 'On the host and item routes' })
  host_id?: number;
  @ApiPropertyOptional({ type: 'integer', example: 12, description: 'On the single-item routes' })
  item_id?: number;
}
