import { applyDecorators, Body, Controller, HttpCode, Post } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiBody,
  ApiConflictResponse,
  ApiNotFoundResponse,
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
import { SyncTaskQueuedResponse } from '../dto/sync-task-queued.dto';

const AsyncEndpoint = () =>
  applyDecorators(
    HttpCode(202),
    RequirePrivilege(Privilege.Write),
    // The guide's calls send no body: callback_url is the only field and it is optional.
    ApiBody({ type: CallbackBody, required: false }),
    ApiAcceptedResponse({
      type: SyncTaskQueuedResponse,
      description: 'Queued; follow it at GET /api/v1/tasks/{task_id}',
      headers: IDEMPOTENT_REPLAYED_RESPONSE_HEADER,
    }),
    ApiBadRequestResponse({
      description: 'Invalid id or Idempotency-Key, or a callback_url that is not http(s) or is not allowed',
    }),
    ApiNotFoundResponse({
      description: 'No such monitor, host or item, or the host is not on that monitor; nothing was queued',
    }),
    ApiConflictResponse({
      description:
        'The monitor is disabled (as the synchronous route answers), or auth_failed: it refused its credentials, ' +
        'and no task runs on it until they change (PATCH /monitors/{id}) or a synchronous sync or check logs in. ' +
        'The message names which; nothing was queued',
    }),
    ApiServiceUnavailableResponse({
      description:
        'Redis is unavailable or did not answer in time: no task id. Without an Idempotency-Key the task is not ' +
        'known to be queued (it may still run); ask again (a sync task still waiting is returned, not queued ' +
        'twice). With a key, ask again with the same key: the task is queued once',
    }),
    IdempotentRoute(),
    EnqueueQuota(),
  );

/**
 * The guide's async endpoints: the sync is queued as a task and 202 comes back at once. The producer checks the
 * target first (SyncTargets): 404 for a missing monitor, host or item, 409 for a disabled or auth_failed monitor.
 */
@ApiTags('tasks')
@Controller('monitors/:id/hosts')
export class SyncAsyncController {
  constructor(private readonly tasks: IdempotentTasks) {}

  @Post('pull-async')
  @AsyncEndpoint()
  async pullHosts(
    @IdParam('id') monitorId: number,
    @Body() body: CallbackBody,
    @IdempotencyKey() idempotency: IdempotencyKeyed | undefined,
  ) {
    const queued = await this.tasks.enqueue(
      'pull_hosts',
      { monitor_id: monitorId },
      { callbackUrl: body.callback_url, idempotency },
    );
    return { message: 'Host pull task queued', ...shape(queued), monitor_id: monitorId };
  }

  @Post(':hid/items/pull-async')
  @AsyncEndpoint()
  async pullItems(
    @IdParam('id') monitorId: number,
    @IdParam('hid') hostId: number,
    @Body() body: CallbackBody,
    @IdempotencyKey() idempotency: IdempotencyKeyed | undefined,
  ) {
    const queued = await this.tasks.enqueue(
      'pull_items',
      { monitor_id: monitorId, host_id: hostId },
      { callbackUrl: body.callback_url, idempotency },
    );
    return { message: 'Item pull task queued', ...shape(queued), monitor_id: monitorId, host_id: hostId };
  }

  @Post(':hid/pull-async')
  @AsyncEndpoint()
  async pullHost(
    @IdParam('id') monitorId: number,
    @IdParam('hid') hostId: number,
    @Body() body: CallbackBody,
    @IdempotencyKey() idempotency: IdempotencyKeyed | undefined,
  ) {
    const queued = await this.tasks.enqueue(
      'pull_host',
      { monitor_id: monitorId, host_id: hostId },
      { callbackUrl: body.callback_url, idempotency },
    );
    return { message: 'Host pull task queued', ...shape(queued), monitor_id: monitorId, host_id: hostId };
  }

  @Post(':hid/push-async')
  @AsyncEndpoint()
  async pushHost(
    @IdParam('id') monitorId: number,
    @IdParam('hid') hostId: number,
    @Body() body: CallbackBody,
    @IdempotencyKey() idempotency: IdempotencyKeyed | undefined,
  ) {
    const queued = await this.tasks.enqueue(
      'push_host',
      { monitor_id: monitorId, host_id: hostId },
      { callbackUrl: body.callback_url, idempotency },
    );
    return { message: 'Host push task queued', ...shape(queued), monitor_id: monitorId, host_id: hostId };
  }

  @Post(':hid/items/:iid/pull-async')
  @AsyncEndpoint()
  async pullItem(
    @IdParam('id') monitorId: number,
    @IdParam('hid') hostId: number,
    @IdParam('iid') itemId: number,
    @Body() body: CallbackBody,
    @IdempotencyKey() idempotency: IdempotencyKeyed | undefined,
  ) {
    const queued = await this.tasks.enqueue(
      'pull_item',
      { monitor_id: monitorId, host_id: hostId, item_id: itemId },
      { callbackUrl: body.callback_url, idempotency },
    );
    return {
      message: 'Item pull task queued',
      ...shape(queued),
      monitor_id: monitorId,
      host_id: hostId,
      item_id: itemId,
    };
  }

  @Post(':hid/items/:iid/push-async')
  @AsyncEndpoint()
  async pushItem(
    @IdParam('id') monitorId: number,
    @IdParam('hid') hostId: number,
    @IdParam('iid') itemId: number,
    @Body() body: CallbackBody,
    @IdempotencyKey() idempotency: IdempotencyKeyed | undefined,
  ) {
    const queued = await this.tasks.enqueue(
      'push_item',
      { monitor_id: monitorId, host_id: hostId, item_id: itemId },
      { callbackUrl: body.callback_url, idempotency },
    );
    return {
      message: 'Item push task queued',
      ...shape(queued),
      monitor_id: monitorId,
      host_id: hostId,
      item_id: itemId,
    };
  }
}

/** `deduplicated: true` only when an identical task not yet at work was returned; absent otherwise. */
function shape(queued: { taskId: string; deduplicated: boolean }) {
  return queued.deduplicated ? { task_id: queued.taskId, deduplicated: true } : { task_id: queued.taskId };
}
