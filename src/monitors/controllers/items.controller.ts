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
  CreateItemDto,
  HostItemQuery,
  ItemPageResponse,
  ItemQuery,
  ItemResponse,
  UpdateItemDto,
} from '../dto/item.dto';
import type { Response } from 'express';
import { IdempotencyKey } from '../../queue/idempotency/idempotency-key.decorator';
import type { IdempotencyKeyed } from '../../queue/idempotency/idempotent-tasks.service';
import { DeleteQuery } from '../dto/delete-query.dto';
import { SyncTaskQueuedResponse } from '../dto/sync-task-queued.dto';
import { HostsService } from '../services/hosts.service';
import { InventoryDeletes } from '../services/inventory-deletes';
import { answerDelete, DeleteEndpoint } from './delete-endpoint';
import { ItemsService } from '../services/items.service';

@ApiTags('items')
@ApiBadRequestResponse({ description: 'Invalid id, query or body; the message names the field' })
@Controller()
export class ItemsController {
  constructor(
    private readonly items: ItemsService,
    private readonly hosts: HostsService,
    private readonly deletes: InventoryDeletes,
  ) {}

  @Get('items')
  @RequirePrivilege(Privilege.Read)
  @ApiOkResponse({ type: ItemPageResponse })
  async list(@Query() query: ItemQuery): Promise<ItemPageResponse> {
    const page = await this.items.list(query);
    return mapPage(page, ItemResponse.of);
  }

  @Get('hosts/:id/items')
  @RequirePrivilege(Privilege.Read)
  @ApiOkResponse({ type: ItemPageResponse })
  @ApiNotFoundResponse({ description: 'No such host' })
  async listOfHost(@IdParam('id') hostId: number, @Query() query: HostItemQuery): Promise<ItemPageResponse> {
    await this.hosts.get(hostId);
    const page = await this.items.list({ ...query, host_id: hostId });
    return mapPage(page, ItemResponse.of);
  }

  @Post('hosts/:id/items')
  @RequirePrivilege(Privilege.Write)
  @ApiCreatedResponse({ type: ItemResponse, description: 'A local item, to push to the monitor later' })
  @ApiNotFoundResponse({ description: 'No such host' })
  async create(@IdParam('id') hostId: number, @Body() body: CreateItemDto): Promise<ItemResponse> {
    return ItemResponse.of(await this.items.create(hostId, body));
  }

  @Get('items/:id')
  @RequirePrivilege(Privilege.Read)
  @ApiOkResponse({ type: ItemResponse })
  @ApiNotFoundResponse({ description: 'No such item' })
  async get(@IdParam('id') id: number): Promise<ItemResponse> {
    return ItemResponse.of(await this.items.get(id));
  }

  @Patch('items/:id')
  @RequirePrivilege(Privilege.Write)
  @ApiOkResponse({ type: ItemResponse })
  @ApiNotFoundResponse({ description: 'No such item' })
  async update(@IdParam('id') id: number, @Body() body: UpdateItemDto): Promise<ItemResponse> {
    return ItemResponse.of(await this.items.update(id, body));
  }

  @Delete('items/:id')
  @DeleteEndpoint('item')
  async remove(
    @IdParam('id') id: number,
    @Query() query: DeleteQuery,
    @IdempotencyKey() idempotency: IdempotencyKeyed | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<SyncTaskQueuedResponse | undefined> {
    const outcome = await this.deletes.deleteItem(id, query.on_monitor ?? false, idempotency);
    return answerDelete(res, outcome);
  }
}
