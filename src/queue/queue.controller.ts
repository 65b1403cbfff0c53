import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiExtraModels,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import { Privilege, RequirePrivilege } from '../auth/decorators';
import { DeadLetters, shownLetter } from './dead-letters.service';
import { DeadLetterRecovery } from './dead-letter-recovery.service';
import {
  BulkRetriedResponse,
  BulkRetryBody,
  DeadLetterPageResponse,
  DeadLetterQuery,
  DeadLetterResponse,
  DeadLetterSummaryResponse,
  QueueCountsResponse,
  QueueStatsDetailResponse,
  QueueStatsResponse,
  RemovedResponse,
  RetriedResponse,
  TaskStatusResponse,
} from './queue.dto';
import { QueueStatsService } from './queue-stats.service';
import { TaskStatusService } from './task-status.service';
import { parseTaskId } from './task-types';
import { InvalidInputError } from '../common/http/domain-error';
import { EnqueueQuota } from './quotas/enqueue-quota.decorator';

/** What a client may conclude from a 503 of each kind of route (503 comes at once with Redis down, or after 1 s). */
const UNAVAILABLE = 'Redis is unavailable or did not answer in time';
const READ_503 = `${UNAVAILABLE}: nothing was read or changed; ask again`;
const RETRY_503 = `${UNAVAILABLE}: the letter may or may not have been queued again; ask again (a sync task still waiting is returned, not queued twice)`;
const BULK_RETRY_503 = `${UNAVAILABLE}: letters retried before it stopped are gone from the dead letters, the rest stay; ask again for the rest`;
const REMOVE_503 = `${UNAVAILABLE}: the letter may or may not be removed; ask again (404 once it is gone)`;
const PURGE_503 = `${UNAVAILABLE}: some letters may be removed, not all; ask again`;

@ApiTags('queue')
@ApiExtraModels(QueueCountsResponse)
@Controller()
export class QueueController {
  constructor(
    private readonly stats: QueueStatsService,
    private readonly status: TaskStatusService,
    private readonly deadLetters: DeadLetters,
    private readonly recovery: DeadLetterRecovery,
  ) {}

  @Get('queue/stats')
  @ApiServiceUnavailableResponse({ description: READ_503 })
  @RequirePrivilege(Privilege.Read)
  @ApiOkResponse({ type: QueueStatsResponse, description: 'Tasks waiting to run (waiting, paused + delayed) per type' })
  pending(): Promise<QueueStatsResponse> {
    return this.stats.pending();
  }

  @Get('queue/stats/detail')
  @ApiServiceUnavailableResponse({ description: READ_503 })
  @RequirePrivilege(Privilege.Read)
  @ApiOkResponse({ type: QueueStatsDetailResponse })
  detail(): Promise<QueueStatsDetailResponse> {
    return this.stats.detail();
  }

  @Get('tasks/:task_id')
  @ApiServiceUnavailableResponse({ description: READ_503 })
  @RequirePrivilege(Privilege.Read)
  @ApiOkResponse({ type: TaskStatusResponse })
  @ApiBadRequestResponse({ description: 'task_id is not <type>:<number>' })
  @ApiNotFoundResponse({ description: 'No such task (or it ended longer ago than the retention)' })
  task(@Param('task_id') taskId: string): Promise<TaskStatusResponse> {
    return this.status.get(taskId);
  }

  @Get('queue/dead')
  @ApiServiceUnavailableResponse({ description: READ_503 })
  @RequirePrivilege(Privilege.Read)
  @ApiOkResponse({ type: DeadLetterPageResponse, description: 'Newest first' })
  @ApiBadRequestResponse({ description: 'limit, offset or type invalid' })
  async dead(@Query() query: DeadLetterQuery): Promise<DeadLetterPageResponse> {
    const page = await this.deadLetters.list(query.limit, query.offset, query.type);
    return { ...page, items: page.items.map(shownLetter), limit: query.limit, offset: query.offset };
  }

  // Before queue/dead/:task_id, which would otherwise take `summary` for a task id.
  @Get('queue/dead/summary')
  @ApiServiceUnavailableResponse({ description: READ_503 })
  @RequirePrivilege(Privilege.Read)
  @ApiOkResponse({ type: DeadLetterSummaryResponse, description: 'Counts by type and by normalised error reason' })
  deadSummary(): Promise<DeadLetterSummaryResponse> {
    return this.recovery.summary();
  }

  @Post('queue/dead/retry')
  @HttpCode(202)
  @RequirePrivilege(Privilege.Write)
  @EnqueueQuota()
  @ApiAcceptedResponse({
    type: BulkRetriedResponse,
    description:
      'The matching dead letters (oldest first, up to `limit`) queued again as new tasks and removed; those whose ' +
      'monitor, host or item is gone or whose monitor is disabled or auth_failed are left, and listed in `skipped`',
  })
  @ApiBadRequestResponse({ description: 'Neither type nor reason given, or one of them invalid' })
  @ApiServiceUnavailableResponse({ description: BULK_RETRY_503 })
  retryMatching(@Body() body: BulkRetryBody): Promise<BulkRetriedResponse> {
    if (body.type === undefined && body.reason === undefined) {
      throw new InvalidInputError('type or reason is required (retry by type, by reason, or both)');
    }
    return this.recovery.retryMatching({ type: body.type, reason: body.reason, limit: body.limit });
  }

  @Get('queue/dead/:task_id')
  @ApiServiceUnavailableResponse({ description: READ_503 })
  @RequirePrivilege(Privilege.Read)
  @ApiOkResponse({ type: DeadLetterResponse })
  @ApiBadRequestResponse({ description: 'task_id is not <type>:<number>' })
  @ApiNotFoundResponse({ description: 'No such dead letter' })
  async deadOne(@Param('task_id') taskId: string): Promise<DeadLetterResponse> {
    return shownLetter(await this.deadLetters.get(validTaskId(taskId)));
  }

  @Post('queue/dead/:task_id/retry')
  @HttpCode(202)
  @RequirePrivilege(Privilege.Write)
  @EnqueueQuota()
  @ApiAcceptedResponse({ type: RetriedResponse, description: 'Queued again as a new task; the dead letter is removed' })
  @ApiBadRequestResponse({ description: 'task_id is not <type>:<number>' })
  @ApiNotFoundResponse({ description: 'No such dead letter' })
  @ApiConflictResponse({
    description:
      'The dead letter is being retried by another request, or its monitor, host or item is gone or the monitor ' +
      'is disabled or auth_failed (the message names which); the letter stays',
  })
  @ApiServiceUnavailableResponse({ description: RETRY_503 })
  async retry(@Param('task_id') taskId: string): Promise<RetriedResponse> {
    const letter = await this.deadLetters.get(validTaskId(taskId));
    const retried = await this.recovery.retry(letter);
    return { message: 'Task requeued', task_id: retried.task_id, retried_from: retried.retried_from };
  }

  @Delete('queue/dead/:task_id')
  @HttpCode(204)
  @RequirePrivilege(Privilege.Write)
  @ApiNoContentResponse({ description: 'Removed' })
  @ApiBadRequestResponse({ description: 'task_id is not <type>:<number>' })
  @ApiNotFoundResponse({ description: 'No such dead letter' })
  @ApiServiceUnavailableResponse({ description: REMOVE_503 })
  async removeDead(@Param('task_id') taskId: string): Promise<void> {
    await this.deadLetters.remove(validTaskId(taskId));
  }

  @Delete('queue/dead')
  @RequirePrivilege(Privilege.Write)
  @ApiOkResponse({ type: RemovedResponse })
  @ApiServiceUnavailableResponse({ description: PURGE_503 })
  async purge(): Promise<RemovedResponse> {
    return { removed: await this.deadLetters.purge() };
  }
}

function validTaskId(taskId: string): string {
  if (!parseTaskId(taskId)) throw new InvalidInputError('task_id must be <type>:<number>, e.g. pull_hosts:42');
  return taskId;
}
