import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsNotEmpty, IsString, Max, MaxLength, Min } from 'class-validator';
import { PaginationQuery, PageResponseOf } from '../common/http/pagination.dto';
import { MAX_REASON_LENGTH } from './error-reason';
import { TASK_TYPES, type TaskType } from './task-types';
import { OptionalNotNull } from '../common/http/optional';

/** The guide's stats object: tasks waiting to run (waiting + delayed) per type. */
export class QueueStatsResponse {
  @ApiProperty({ example: 3 }) pull_hosts!: number;
  @ApiProperty({ example: 5 }) pull_items!: number;
  @ApiProperty({ example: 2 }) generate_alerts!: number;
  @ApiProperty({ example: 0 }) pull_host!: number;
  @ApiProperty({ example: 0 }) pull_item!: number;
  @ApiProperty({ example: 0 }) push_host!: number;
  @ApiProperty({ example: 0 }) push_item!: number;
  @ApiProperty({ example: 1, description: 'Alert pulls from monitors (not in the guide)' }) pull_alerts!: number;
  @ApiProperty({ example: 0, description: 'Acknowledgements to send to monitors (not in the guide)' })
  acknowledge_alert!: number;
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
  @ApiProperty({
    enum: TASK_TYPES,
    isArray: true,
    example: ['pull_hosts'],
    description: 'The task types paused for every worker (POST /queue/:type/pause); their new tasks wait in `paused`',
  })
  paused_types!: TaskType[];
}

export class QueuePauseResponse {
  @ApiProperty({ enum: TASK_TYPES, example: 'pull_hosts' }) type!: TaskType;
  @ApiProperty({ example: true, description: 'Whether no worker starts a task of this type now' }) paused!: boolean;
}

export class TaskStatusResponse {
  @ApiProperty({ example: 'pull_hosts:42' }) task_id!: string;
  @ApiProperty({ enum: TASK_TYPES }) type!: TaskType;
  @ApiProperty({ enum: ['waiting', 'delayed', 'active', 'completed', 'failed', 'dead', 'cancelled'] }) state!: string;
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
  @ApiPropertyOptional({
    example: 'https://hooks.example.com/nagare?token=[redacted]',
    description:
      'Where the task calls back when it ends, if it was given one. Shown with every query value and every path ' +
      'segment that looks like a token [redacted]; a retry still calls the URL as given.',
  })
  callback_url?: string;
}

export class DeadLetterPageResponse extends PageResponseOf(DeadLetterResponse) {}

export class DeadLetterQuery extends PaginationQuery {
  @ApiPropertyOptional({ enum: TASK_TYPES })
  @OptionalNotNull()
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
    type: Boolean,
    enum: [true],
    example: true,
    description:
      'Present (true) only when an identical sync task (same type and target) that had not started its work yet ' +
      '(waiting, or waiting its turn on a busy monitor) was returned instead of queuing another. While one is at ' +
      'work, the next request queues the one follow-up; the requests after that get the follow-up back',
  })
  deduplicated?: boolean;
}

export class DeadReasonCountResponse {
  @ApiProperty({ example: 'Monitor unreachable: connect ECONNREFUSED <addr> (apiinfo.version)' }) reason!: string;
  @ApiProperty({ example: 12 }) count!: number;
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'integer' },
    example: { pull_hosts: 10, pull_items: 2 },
  })
  by_type!: Partial<Record<TaskType, number>>;
  @ApiProperty({ description: 'One raw error of this reason, as its dead letter holds it' }) example!: string;
  @ApiProperty({ type: String, format: 'date-time' }) oldest_failed_at!: string;
  @ApiProperty({ type: String, format: 'date-time' }) newest_failed_at!: string;
}

export class DeadLetterSummaryResponse {
  @ApiProperty({ example: 14 }) total!: number;
  @ApiProperty({ type: QueueStatsResponse, description: 'Every type, 0 when it has none' })
  by_type!: Record<TaskType, number>;
  @ApiProperty({
    type: [DeadReasonCountResponse],
    description: 'By error reason with ids, numbers, addresses, URLs and quoted values masked; most frequent first',
  })
  by_reason!: DeadReasonCountResponse[];
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) oldest_failed_at!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) newest_failed_at!: string | null;
}

export const BULK_RETRY_MAX = 10_000;

/** POST /queue/dead/retry: which dead letters to retry; at least one of type and reason. */
export class BulkRetryBody {
  @ApiPropertyOptional({ enum: TASK_TYPES })
  @OptionalNotNull()
  @IsIn(TASK_TYPES, { message: `type must be one of: ${TASK_TYPES.join(', ')}` })
  type?: TaskType;

  @ApiPropertyOptional({
    description: 'A reason exactly as GET /queue/dead/summary lists it',
    example: 'Monitor unreachable: connect ECONNREFUSED <addr> (apiinfo.version)',
  })
  @OptionalNotNull()
  @IsString()
  @IsNotEmpty()
  @MaxLength(MAX_REASON_LENGTH)
  reason?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: BULK_RETRY_MAX, default: 1000, description: 'Oldest first' })
  @OptionalNotNull()
  @IsInt()
  @Min(1)
  @Max(BULK_RETRY_MAX)
  limit: number = 1000;
}

export class RetriedTaskResponse {
  @ApiProperty({ example: 'pull_hosts:43', description: 'The new task' }) task_id!: string;
  @ApiProperty({ example: 'pull_hosts:42' }) retried_from!: string;
  @ApiProperty({ description: 'An identical task was already waiting; its id is returned' }) deduplicated!: boolean;
}

export class NotRetriedResponse {
  @ApiProperty({ example: 'pull_hosts:42' }) retried_from!: string;
  @ApiProperty({ example: 'callback_url: the host is not allowed' }) error!: string;
}

export class SkippedLetterResponse {
  @ApiProperty({ example: 'pull_hosts:42' }) task_id!: string;
  @ApiProperty({ example: 'Monitor 7 not found', description: 'Why its task would fail again at once' })
  reason!: string;
}

export class BulkRetriedResponse {
  @ApiProperty({ example: 2 }) retried!: number;
  @ApiProperty({ type: [RetriedTaskResponse] }) tasks!: RetriedTaskResponse[];
  @ApiProperty({
    type: [NotRetriedResponse],
    description: 'Letters that could not be queued again (e.g. their callback URL is now refused); they stay',
  })
  failed!: NotRetriedResponse[];
  @ApiProperty({
    type: [SkippedLetterResponse],
    description:
      'Letters not queued again because their monitor, host or item is gone or the monitor disabled or auth_failed; they stay',
  })
  skipped!: SkippedLetterResponse[];
  @ApiProperty({ description: 'Letters that matched beyond the limit, left for another call' }) remaining!: number;
}
