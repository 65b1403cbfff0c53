import { Controller, Get, Param, Req, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiProduces,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiTooManyRequestsResponse,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { CurrentUser, Privilege, RequirePrivilege } from '../auth/decorators';
import type { User } from '../auth/users/user.entity';
import { EventStreamSlots } from './quotas/event-stream-slots';
import { TaskEvents } from './task-events.service';

@ApiTags('queue')
@Controller()
export class TaskEventsController {
  constructor(
    private readonly taskEvents: TaskEvents,
    private readonly slots: EventStreamSlots,
  ) {}

  @Get('tasks/:task_id/events')
  @RequirePrivilege(Privilege.Read)
  @ApiProduces('text/event-stream')
  @ApiOkResponse({
    description:
      'Server-Sent Events until the task ends: `state` (data: the task, as GET /tasks/:task_id), `progress` ' +
      '(data: {task_id, progress}), then one final event, `completed`, `dead`, `cancelled` or `failed` (data: the task, with its ' +
      'result or error), or `gone` (the task disappeared) or `timeout` (the stream lived its longest, 1 h). ' +
      'A comment `: keep-alive` every 15 s. A task already ended gets its final event at once.',
    content: {
      'text/event-stream': {
        schema: { type: 'string', example: 'event: state\ndata: {"task_id":"pull_hosts:42",...}\n\n' },
      },
    },
  })
  @ApiBadRequestResponse({ description: 'task_id is not <type>:<number>' })
  @ApiNotFoundResponse({ description: 'No such task (or it ended longer ago than the retention)' })
  @ApiServiceUnavailableResponse({ description: 'Redis is unavailable' })
  @ApiTooManyRequestsResponse({
    description:
      'This user already has quota.event_streams task event streams open; one frees when it ends or its client ' +
      'goes. retry_after (and the Retry-After header) says when to ask again',
    headers: { 'Retry-After': { description: 'Seconds to wait', schema: { type: 'integer' } } },
  })
  async events(
    @Param('task_id') taskId: string,
    @CurrentUser() user: User,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const slot = await this.slots.acquire(user.id);
    // The response closes when the stream ends, when the client goes, and after an error answer alike.
    res.on('close', () => slot.release());
    try {
      await this.taskEvents.stream(taskId, req, res);
    } catch (error) {
      slot.release();
      throw error;
    }
  }
}
