import { Body, Controller, HttpCode, Post, Query } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import { Privilege, RequirePrivilege } from '../../auth/decorators';
import { TaskProducer } from '../../queue/task-producer.service';
import { CallbackBody } from '../../webhooks/webhooks.dto';
import { GenerateTestAlertsQuery, TestAlertsGeneratedResponse, TestAlertsQueuedResponse } from '../dto/alert.dto';
import { TestAlertGenerator } from '../services/test-alert-generator';

/** The guide's mock alert generator: at once, or as a generate_alerts task. */
@ApiTags('alerts')
@ApiBadRequestResponse({ description: 'count is not an integer from 1 to 100' })
@ApiConflictResponse({ description: 'There are no hosts to attach alerts to' })
@Controller('alerts')
export class TestAlertsController {
  constructor(
    private readonly generator: TestAlertGenerator,
    private readonly tasks: TaskProducer,
  ) {}

  @Post('generate-test')
  @RequirePrivilege(Privilege.Write)
  @ApiCreatedResponse({
    type: TestAlertsGeneratedResponse,
    description: 'count active alerts on random hosts (and items); a critical one puts its host and item in error',
  })
  async generate(@Query() query: GenerateTestAlertsQuery): Promise<TestAlertsGeneratedResponse> {
    const { count } = await this.generator.generate(query.count);
    return { message: 'Test alerts generated', count };
  }

  @Post('generate-test-async')
  @HttpCode(202)
  @RequirePrivilege(Privilege.Write)
  @ApiAcceptedResponse({
    type: TestAlertsQueuedResponse,
    description: 'Queued; follow it at GET /api/v1/tasks/{task_id}',
  })
  @ApiServiceUnavailableResponse({ description: 'Redis is unavailable; nothing was queued' })
  async generateAsync(
    @Query() query: GenerateTestAlertsQuery,
    @Body() body: CallbackBody,
  ): Promise<TestAlertsQueuedResponse> {
    await this.generator.assertHostsExist();
    const queued = await this.tasks.enqueue(
      'generate_alerts',
      { count: query.count },
      { callbackUrl: body.callback_url },
    );
    return { message: 'Test alert generation task queued', task_id: queued.taskId, count: query.count };
  }
}
