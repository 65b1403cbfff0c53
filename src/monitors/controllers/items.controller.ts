import { Body, Controller, Delete, Get, HttpCode, Patch, Post, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiTags,
} from '@nestjs/swagger';
import { Privilege, RequirePrivilege } from '../../auth/decorators';
import { IdParam } from '../../common/http/id-param.decorator';
import { PaginationQuery, mapPage } from '../../common/http/pagination.dto';
import { CreateItemDto, ItemPageResponse, ItemQuery, ItemResponse, UpdateItemDto } from '../dto/item.dto';
import { HostsService } from '../services/hosts.service';
import { ItemsService } from '../services/items.service';

@ApiTags('items')
@ApiBadRequestResponse({ description: 'Invalid id, query or body; the message names the field' })
@Controller()
export class ItemsController {
  constructor(
    private readonly items: ItemsService,
    private readonly hosts: HostsService,
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
  async listOfHost(@IdParam('id') hostId: number, @Query() query: PaginationQuery): Promise<ItemPageResponse> {
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
  @HttpCode(204)
  @RequirePrivilege(Privilege.Write)
  @ApiNoContentResponse({ description: 'Deleted locally; the monitor is not touched' })
  @ApiNotFoundResponse({ description: 'No such item' })
  async remove(@IdParam('id') id: number): Promise<void> {
    await this.items.remove(id);
  }
}
