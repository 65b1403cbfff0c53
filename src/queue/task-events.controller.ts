import { Controller, Get, Param, Req, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiProduces,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Privilege, RequirePrivilege } from '../auth/decorators';
import { TaskEvents } from './task-events.service';

@ApiTags('queue')
@Controller()
export class TaskEventsController {
  constructor(private readonly taskEvents: TaskEvents) {}

  @Get('tasks/:task_id/events')
  @RequirePrivilege(Privilege.Read)
  @ApiProduces('text/event-stream')
  @ApiOkResponse({
    description:
      'Server-Sent Events until the task ends: `state` (data: the task, as GET /tasks/:task_id), `progress` ' +
      '(data: {task_id, progress}), then one final event, `completed`, `dead` or `failed` (data: the task, with its ' +
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
  events(@Param('task_id') taskId: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    return this.taskEvents.stream(taskId, req, res);
  }
}
