import { applyDecorators, Body, Controller, HttpCode, Post } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiNotFoundResponse,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import { Privilege, RequirePrivilege } from '../../auth/decorators';
import { IdParam } from '../../common/http/id-param.decorator';
import { TaskQueuedResponse } from '../../queue/queue.dto';
import { TaskProducer } from '../../queue/task-producer.service';
import { CallbackBody } from '../../webhooks/webhooks.dto';
import { HostsService } from '../services/hosts.service';
import { ItemsService } from '../services/items.service';

const AsyncEndpoint = () =>
  applyDecorators(
    HttpCode(202),
    RequirePrivilege(Privilege.Write),
    ApiAcceptedResponse({ type: TaskQueuedResponse, description: 'Queued; follow it at GET /api/v1/tasks/{task_id}' }),
    ApiBadRequestResponse({ description: 'Invalid id, or a callback_url that is not http(s) or is not allowed' }),
    ApiNotFoundResponse({ description: 'No such monitor, host or item, or the host is not on that monitor' }),
    ApiServiceUnavailableResponse({ description: 'Redis is unavailable; nothing was queued' }),
  );

/** The guide's async endpoints: the ids are checked, then the sync is queued as a task and 202 comes back at once. */
@ApiTags('tasks')
@Controller('monitors/:id/hosts')
export class SyncAsyncController {
  constructor(
    private readonly tasks: TaskProducer,
    private readonly hosts: HostsService,
    private readonly items: ItemsService,
  ) {}

  @Post('pull-async')
  @AsyncEndpoint()
  async pullHosts(@IdParam('id') monitorId: number, @Body() body: CallbackBody) {
    await this.hosts.assertMonitor(monitorId);
    const queued = await this.tasks.enqueue(
      'pull_hosts',
      { monitor_id: monitorId },
      { callbackUrl: body.callback_url },
    );
    return { message: 'Host pull task queued', ...shape(queued), monitor_id: monitorId };
  }

  @Post(':hid/items/pull-async')
  @AsyncEndpoint()
  async pullItems(@IdParam('id') monitorId: number, @IdParam('hid') hostId: number, @Body() body: CallbackBody) {
    await this.hosts.getOnMonitor(monitorId, hostId);
    const queued = await this.tasks.enqueue(
      'pull_items',
      { monitor_id: monitorId, host_id: hostId },
      { callbackUrl: body.callback_url },
    );
    return { message: 'Item pull task queued', ...shape(queued), monitor_id: monitorId, host_id: hostId };
  }

  @Post(':hid/pull-async')
  @AsyncEndpoint()
  async pullHost(@IdParam('id') monitorId: number, @IdParam('hid') hostId: number, @Body() body: CallbackBody) {
    await this.hosts.getOnMonitor(monitorId, hostId);
    const queued = await this.tasks.enqueue(
      'pull_host',
      { monitor_id: monitorId, host_id: hostId },
      { callbackUrl: body.callback_url },
    );
    return { message: 'Host pull task queued', ...shape(queued), monitor_id: monitorId, host_id: hostId };
  }

  @Post(':hid/push-async')
  @AsyncEndpoint()
  async pushHost(@IdParam('id') monitorId: number, @IdParam('hid') hostId: number, @Body() body: CallbackBody) {
    await this.hosts.getPushable(monitorId, hostId);
    const queued = await this.tasks.enqueue(
      'push_host',
      { monitor_id: monitorId, host_id: hostId },
      { callbackUrl: body.callback_url },
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
  ) {
    await this.hosts.getOnMonitor(monitorId, hostId);
    await this.items.getOnHost(hostId, itemId);
    const queued = await this.tasks.enqueue(
      'pull_item',
      { monitor_id: monitorId, host_id: hostId, item_id: itemId },
      { callbackUrl: body.callback_url },
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
  ) {
    await this.hosts.getPushable(monitorId, hostId);
    await this.items.getOnHost(hostId, itemId);
    const queued = await this.tasks.enqueue(
      'push_item',
      { monitor_id: monitorId, host_id: hostId, item_id: itemId },
      { callbackUrl: body.callback_url },
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

/** `deduplicated: true` only when an identical waiting task was returned; absent otherwise. */
function shape(queued: { taskId: string; deduplicated: boolean }) {
  return queued.deduplicated ? { task_id: queued.taskId, deduplicated: true } : { task_id: queued.taskId };
}
