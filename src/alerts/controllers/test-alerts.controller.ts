import { Body, Controller, HttpCode, Post, Query } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBody,
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import { Privilege, RequirePrivilege } from '../../auth/decorators';
import {
  IDEMPOTENT_REPLAYED_RESPONSE_HEADER,
  IdempotencyKey,
  IdempotentRoute,
} from '../../queue/idempotency/idempotency-key.decorator';
import { IdempotentTasks, type IdempotencyKeyed } from '../../queue/idempotency/idempotent-tasks.service';
import { EnqueueQuota } from '../../queue/quotas/enqueue-quota.decorator';
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
    private readonly tasks: IdempotentTasks,
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
  @ApiBody({ type: CallbackBody, required: false })
  @ApiAcceptedResponse({
    type: TestAlertsQueuedResponse,
    description: 'Queued; follow it at GET /api/v1/tasks/{task_id}',
    headers: IDEMPOTENT_REPLAYED_RESPONSE_HEADER,
  })
  @ApiServiceUnavailableResponse({
    description:
      'Redis is unavailable or did not answer in time: no task id. Without an Idempotency-Key the task is not ' +
      'known to be queued (it may still run); with a key, ask again with the same key: the task is queued once',
  })
  @ApiBadRequestResponse({ description: 'count is not an integer from 1 to 100, or a malformed Idempotency-Key' })
  @IdempotentRoute()
  @EnqueueQuota()
  async generateAsync(
    @Query() query: GenerateTestAlertsQuery,
    @Body() body: CallbackBody,
    @IdempotencyKey() idempotency: IdempotencyKeyed | undefined,
  ): Promise<TestAlertsQueuedResponse> {
    await this.generator.assertHostsExist();
    const queued = await this.tasks.enqueue(
      'generate_alerts',
      { count: query.count },
      { callbackUrl: body.callback_url, idempotency },
    );
    return { message: 'Test alert generation task queued', task_id: queued.taskId, count: query.count };
  }
}
