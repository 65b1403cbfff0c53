import { Controller, Delete, HttpCode, Param, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiParam,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import { CurrentUser, Privilege, RequirePrivilege } from '../auth/decorators';
import type { User } from '../auth/users/user.entity';
import { QueuePauseResponse, TaskStatusResponse } from './queue.dto';
import { QueuePauses } from './queue-pauses.service';
import { TaskCancellation } from './task-cancellation.service';
import { TASK_TYPES } from './task-types';

const UNAVAILABLE = 'Redis is unavailable or did not answer in time';
const PAUSE_503 = `${UNAVAILABLE}: the type may or may not have changed state; ask again (both are safe to repeat)`;
const CANCEL_503 = `${UNAVAILABLE}: the task may or may not be cancelled; GET /tasks/:task_id tells`;
const TYPE_PARAM = { name: 'type', enum: TASK_TYPES, description: 'A task type' };

/** What operators do to the queues beyond the dead letters: pause a task type, cancel a task not yet started. */
@ApiTags('queue')
@Controller()
export class QueueControlsController {
  constructor(
    private readonly pauses: QueuePauses,
    private readonly cancellation: TaskCancellation,
  ) {}

  @Post('queue/:type/pause')
  @HttpCode(200)
  @RequirePrivilege(Privilege.Write)
  @ApiParam(TYPE_PARAM)
  @ApiOkResponse({ type: QueuePauseResponse, description: 'Paused for every worker (already paused: the same)' })
  @ApiBadRequestResponse({ description: 'type is not a task type' })
  @ApiServiceUnavailableResponse({ description: PAUSE_503 })
  pause(@Param('type') type: string, @CurrentUser() user: User): Promise<QueuePauseResponse> {
    return this.pauses.pause(type, user.username);
  }

  @Post('queue/:type/resume')
  @HttpCode(200)
  @RequirePrivilege(Privilege.Write)
  @ApiParam(TYPE_PARAM)
  @ApiOkResponse({
    type: QueuePauseResponse,
    description: 'Resumed: workers take its tasks again (not paused: the same)',
    example: { type: 'pull_hosts', paused: false },
  })
  @ApiBadRequestResponse({ description: 'type is not a task type' })
  @ApiServiceUnavailableResponse({ description: PAUSE_503 })
  resume(@Param('type') type: string, @CurrentUser() user: User): Promise<QueuePauseResponse> {
    return this.pauses.resume(type, user.username);
  }

  @Delete('tasks/:task_id')
  @RequirePrivilege(Privilege.Write)
  @ApiOkResponse({
    type: TaskStatusResponse,
    description: 'Cancelled: the task, in state `cancelled`, is kept (and GET answers it) for `queue.retention`',
  })
  @ApiBadRequestResponse({ description: 'task_id is not <type>:<number>' })
  @ApiNotFoundResponse({ description: 'No such task (or it ended longer ago than the retention)' })
  @ApiConflictResponse({ description: 'The task is active, ended (completed, failed, dead) or cancelled already' })
  @ApiServiceUnavailableResponse({ description: CANCEL_503 })
  cancel(@Param('task_id') taskId: string, @CurrentUser() user: User): Promise<TaskStatusResponse> {
    return this.cancellation.cancel(taskId, user.username);
  }
}
