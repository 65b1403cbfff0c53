import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { PaginationQuery, PageResponseOf } from '../common/http/pagination.dto';
import { TASK_TYPES, type TaskType } from './task-types';

/** The guide's stats object: tasks waiting to run (waiting + delayed) per type. */
export class QueueStatsResponse {
  @ApiProperty({ example: 3 }) pull_hosts!: number;
  @ApiProperty({ example: 5 }) pull_items!: number;
  @ApiProperty({ example: 2 }) generate_alerts!: number;
  @ApiProperty({ example: 0 }) pull_host!: number;
  @ApiProperty({ example: 0 }) pull_item!: number;
  @ApiProperty({ example: 0 }) push_host!: number;
  @ApiProperty({ example: 0 }) push_item!: number;
}

export class QueueCountsResponse {
  @ApiProperty() waiting!: number;
  @ApiProperty() active!: number;
  @ApiProperty() delayed!: number;
  @ApiProperty() completed!: number;
  @ApiProperty() failed!: number;
  @ApiProperty() paused!: number;
}

export class QueueStatsDetailResponse {
  @ApiProperty({ type: 'object', additionalProperties: { $ref: '#/components/schemas/QueueCountsResponse' } })
  queues!: Record<TaskType, QueueCountsResponse>;
  @ApiProperty({ description: 'Tasks in the dead-letter queue' }) dead!: number;
}

export class TaskStatusResponse {
  @ApiProperty({ example: 'pull_hosts:42' }) task_id!: string;
  @ApiProperty({ enum: TASK_TYPES }) type!: TaskType;
  @ApiProperty({ enum: ['waiting', 'delayed', 'active', 'completed', 'failed', 'dead'] }) state!: string;
  @ApiProperty({ minimum: 0, maximum: 100 }) progress!: number;
  @ApiProperty() attempts_made!: number;
  @ApiProperty() max_attempts!: number;
  @ApiProperty({ type: 'object', additionalProperties: true, example: { monitor_id: 1 } }) params!: object;
  @ApiProperty({ nullable: true, description: 'What the task returned, once completed' }) result!: unknown;
  @ApiProperty({ nullable: true, type: String }) error!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) created_at!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) started_at!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) finished_at!: string | null;
}

export class DeadLetterResponse {
  @ApiProperty({ example: 'pull_hosts:42' }) task_id!: string;
  @ApiProperty({ enum: TASK_TYPES }) type!: TaskType;
  @ApiProperty({ type: 'object', additionalProperties: true }) params!: object;
  @ApiProperty({ description: 'The last error' }) error!: string;
  @ApiProperty() attempts!: number;
  @ApiProperty({ type: String, format: 'date-time' }) failed_at!: string;
}

export class DeadLetterPageResponse extends PageResponseOf(DeadLetterResponse) {}

export class DeadLetterQuery extends PaginationQuery {
  @ApiPropertyOptional({ enum: TASK_TYPES })
  @IsOptional()
  @IsIn(TASK_TYPES, { message: `type must be one of: ${TASK_TYPES.join(', ')}` })
  type?: TaskType;
}

export class RetriedResponse {
  @ApiProperty({ example: 'Task requeued' }) message!: string;
  @ApiProperty({ example: 'pull_hosts:43', description: 'The new task' }) task_id!: string;
  @ApiProperty({ example: 'pull_hosts:42' }) retried_from!: string;
}

export class RemovedResponse {
  @ApiProperty() removed!: number;
}

/** What every async endpoint answers with 202. */
export class TaskQueuedResponse {
  @ApiProperty({ example: 'Host pull task queued' }) message!: string;
  @ApiProperty({ example: 'pull_hosts:42' }) task_id!: string;
  @ApiPropertyOptional({
    description: 'Present (true) when an identical task was already waiting and was returned instead',
  })
  deduplicated?: boolean;
}
