import { Body, Controller, Delete, Get, HttpCode, Patch, Post, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiTags,
} from '@nestjs/swagger';
import { Privilege, RequirePrivilege } from '../../auth/decorators';
import { IdParam } from '../../common/http/id-param.decorator';
import {
  CreateMonitorDto,
  MonitorPageResponse,
  MonitorQuery,
  MonitorResponse,
  UpdateMonitorDto,
} from '../dto/monitor.dto';
import { MonitorsService } from '../services/monitors.service';
import { mapPage } from '../../common/http/pagination.dto';

@ApiTags('monitors')
@ApiBadRequestResponse({ description: 'Invalid id, query or body; the message names the field' })
@Controller('monitors')
export class MonitorsController {
  constructor(private readonly monitors: MonitorsService) {}

  @Get()
  @RequirePrivilege(Privilege.Read)
  @ApiOkResponse({ type: MonitorPageResponse })
  async list(@Query() query: MonitorQuery): Promise<MonitorPageResponse> {
    const page = await this.monitors.list(query);
    return mapPage(page, MonitorResponse.of);
  }

  @Get(':id')
  @RequirePrivilege(Privilege.Read)
  @ApiOkResponse({ type: MonitorResponse })
  @ApiNotFoundResponse({ description: 'No such monitor' })
  async get(@IdParam('id') id: number): Promise<MonitorResponse> {
    return MonitorResponse.of(await this.monitors.get(id));
  }

  @Post()
  @RequirePrivilege(Privilege.Write)
  @ApiCreatedResponse({ type: MonitorResponse })
  @ApiConflictResponse({ description: 'Name taken' })
  async create(@Body() body: CreateMonitorDto): Promise<MonitorResponse> {
    return MonitorResponse.of(await this.monitors.create(body));
  }

  @Patch(':id')
  @RequirePrivilege(Privilege.Write)
  @ApiOkResponse({
    type: MonitorResponse,
    description:
      'The monitor as changed. New credentials (password, api_token) take a monitor out of auth_failed (status 4) ' +
      'to status 0 until its next sync or check',
  })
  @ApiNotFoundResponse({ description: 'No such monitor' })
  @ApiConflictResponse({ description: 'Name taken' })
  async update(@IdParam('id') id: number, @Body() body: UpdateMonitorDto): Promise<MonitorResponse> {
    return MonitorResponse.of(await this.monitors.update(id, body));
  }

  @Delete(':id')
  @HttpCode(204)
  @RequirePrivilege(Privilege.Write)
  @ApiNoContentResponse({ description: 'Deleted; its hosts stay as local hosts' })
  @ApiNotFoundResponse({ description: 'No such monitor' })
  async remove(@IdParam('id') id: number): Promise<void> {
    await this.monitors.remove(id);
  }

  @Post(':id/check')
  @HttpCode(200)
  @RequirePrivilege(Privilege.Write)
  @ApiOkResponse({ type: MonitorResponse, description: 'The monitor with its refreshed status' })
  @ApiNotFoundResponse({ description: 'No such monitor' })
  async check(@IdParam('id') id: number): Promise<MonitorResponse> {
    return MonitorResponse.of(await this.monitors.check(id));
  }
}
