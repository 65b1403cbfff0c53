import { Body, Controller, Delete, Get, Patch, Post, Query, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiTags,
} from '@nestjs/swagger';
import { Privilege, RequirePrivilege } from '../../auth/decorators';
import { IdParam } from '../../common/http/id-param.decorator';
import { mapPage } from '../../common/http/pagination.dto';
import {
  CreateHostDto,
  HostPageResponse,
  HostQuery,
  HostResponse,
  MonitorHostQuery,
  UpdateHostDto,
} from '../dto/host.dto';
import { GroupResponse } from '../dto/item.dto';
import type { Response } from 'express';
import { IdempotencyKey } from '../../queue/idempotency/idempotency-key.decorator';
import type { IdempotencyKeyed } from '../../queue/idempotency/idempotent-tasks.service';
import { DeleteQuery } from '../dto/delete-query.dto';
import { SyncTaskQueuedResponse } from '../dto/sync-task-queued.dto';
import { HostsService } from '../services/hosts.service';
import { InventoryDeletes } from '../services/inventory-deletes';
import { answerDelete, DeleteEndpoint } from './delete-endpoint';
import { MonitorsService } from '../services/monitors.service';

@ApiTags('hosts')
@ApiBadRequestResponse({ description: 'Invalid id, query or body; the message names the field' })
@Controller()
export class HostsController {
  constructor(
    private readonly hosts: HostsService,
    private readonly monitors: MonitorsService,
    private readonly deletes: InventoryDeletes,
  ) {}

  @Get('hosts')
  @RequirePrivilege(Privilege.Read)
  @ApiOkResponse({ type: HostPageResponse })
  async list(@Query() query: HostQuery): Promise<HostPageResponse> {
    const page = await this.hosts.list(query);
    return mapPage(page, HostResponse.of);
  }

  @Get('monitors/:id/hosts')
  @RequirePrivilege(Privilege.Read)
  @ApiOkResponse({ type: HostPageResponse })
  @ApiNotFoundResponse({ description: 'No such monitor' })
  async listOfMonitor(@IdParam('id') monitorId: number, @Query() query: MonitorHostQuery): Promise<HostPageResponse> {
    await this.monitors.get(monitorId);
    const page = await this.hosts.list({ ...query, monitor_id: monitorId });
    return mapPage(page, HostResponse.of);
  }

  @Get('hosts/:id')
  @RequirePrivilege(Privilege.Read)
  @ApiOkResponse({ type: HostResponse })
  @ApiNotFoundResponse({ description: 'No such host' })
  async get(@IdParam('id') id: number): Promise<HostResponse> {
    return HostResponse.of(await this.hosts.getWithGroups(id));
  }

  @Post('hosts')
  @RequirePrivilege(Privilege.Write)
  @ApiCreatedResponse({ type: HostResponse, description: 'A local host, to push to a monitor later' })
  @ApiNotFoundResponse({ description: 'The monitor_id, group_id or one of group_ids does not exist' })
  async create(@Body() body: CreateHostDto): Promise<HostResponse> {
    return HostResponse.of(await this.hosts.create(body));
  }

  @Patch('hosts/:id')
  @RequirePrivilege(Privilege.Write)
  @ApiOkResponse({ type: HostResponse })
  @ApiNotFoundResponse({ description: 'No such host, monitor or group' })
  async update(@IdParam('id') id: number, @Body() body: UpdateHostDto): Promise<HostResponse> {
    return HostResponse.of(await this.hosts.update(id, body));
  }

  @Delete('hosts/:id')
  @DeleteEndpoint('host')
  async remove(
    @IdParam('id') id: number,
    @Query() query: DeleteQuery,
    @IdempotencyKey() idempotency: IdempotencyKeyed | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<SyncTaskQueuedResponse | undefined> {
    const outcome = await this.deletes.deleteHost(id, query.on_monitor ?? false, idempotency);
    return answerDelete(res, outcome);
  }

  @Get('groups')
  @RequirePrivilege(Privilege.Read)
  @ApiOkResponse({ type: [GroupResponse] })
  async groups(): Promise<GroupResponse[]> {
    const groups = await this.hosts.listGroups();
    return groups.map((group) => ({
      id: group.id,
      name: group.name,
      monitor_id: group.monitorId,
      external_id: group.externalId,
    }));
  }
}
