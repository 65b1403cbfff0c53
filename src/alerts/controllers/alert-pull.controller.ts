import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadGatewayResponse,
  ApiBadRequestResponse,
  ApiBody,
  ApiConflictResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import { Privilege, RequirePrivilege } from '../../auth/decorators';
import { IdParam } from '../../common/http/id-param.decorator';
import {
  IDEMPOTENT_REPLAYED_RESPONSE_HEADER,
  IdempotencyKey,
  IdempotentRoute,
} from '../../queue/idempotency/idempotency-key.decorator';
import { IdempotentTasks, type IdempotencyKeyed } from '../../queue/idempotency/idempotent-tasks.service';
import { EnqueueQuota } from '../../queue/quotas/enqueue-quota.decorator';
import { CallbackBody } from '../../webhooks/webhooks.dto';
import { AlertPullQueuedResponse, AlertPullResponse } from '../dto/alert-pull.dto';
import { AlertPullService } from '../zabbix/alert-pull.service';

/** A monitor's problems pulled as alerts: inside the request, or as a pull_alerts task. */
@ApiTags('alerts')
@ApiNotFoundResponse({ description: 'No such monitor; nothing was pulled or queued' })
@Controller('monitors/:id/alerts')
export class AlertPullController {
  constructor(
    private readonly pulls: AlertPullService,
    private readonly tasks: IdempotentTasks,
  ) {}

  @Post('pull')
  @HttpCode(200)
  @RequirePrivilege(Privilege.Write)
  @ApiOkResponse({ type: AlertPullResponse })
  @ApiBadRequestResponse({ description: 'Invalid id' })
  @ApiConflictResponse({ description: 'A sync of this monitor is running, or the monitor is disabled' })
  @ApiBadGatewayResponse({
    description: 'The monitor cannot be reached or refused its credentials; the monitor is now in status 2',
  })
  @ApiServiceUnavailableResponse({ description: 'Redis is unavailable' })
  pull(@IdParam('id') monitorId: number): Promise<AlertPullResponse> {
    return this.pulls.pull(monitorId);
  }

  @Post('pull-async')
  @HttpCode(202)
  @RequirePrivilege(Privilege.Write)
  @ApiBody({ type: CallbackBody, required: false })
  @ApiAcceptedResponse({
    type: AlertPullQueuedResponse,
    description: 'Queued; follow it at GET /api/v1/tasks/{task_id}. A pull still waiting is returned, not queued twice',
    headers: IDEMPOTENT_REPLAYED_RESPONSE_HEADER,
  })
  @ApiBadRequestResponse({
    description: 'Invalid id or Idempotency-Key, or a callback_url that is not http(s) or is not allowed',
  })
  @ApiConflictResponse({ description: 'The monitor is disabled; nothing was queued' })
  @ApiServiceUnavailableResponse({
    description:
      'Redis is unavailable or did not answer in time: no task id. Without an Idempotency-Key the task is not ' +
      'known to be queued (it may still run); ask again (a pull still waiting is returned, not queued twice). ' +
      'With a key, ask again with the same key: the task is queued once',
  })
  @IdempotentRoute()
  @EnqueueQuota()
  async pullAsync(
    @IdParam('id') monitorId: number,
    @Body() body: CallbackBody,
    @IdempotencyKey() idempotency: IdempotencyKeyed | undefined,
  ): Promise<AlertPullQueuedResponse> {
    const queued = await this.tasks.enqueue(
      'pull_alerts',
      { monitor_id: monitorId },
      { callbackUrl: body.callback_url, idempotency },
    );
    const deduplicated = queued.deduplicated ? { deduplicated: true } : {};
    return { message: 'Alert pull task queued', task_id: queued.taskId, ...deduplicated, monitor_id: monitorId };
  }
}
