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
import { CurrentUser, Privilege, RequirePrivilege } from '../../auth/decorators';
import type { User } from '../../auth/users/user.entity';
import { IdParam } from '../../common/http/id-param.decorator';
import {
  AlertPageResponse,
  AlertQuery,
  AlertResponse,
  AlertScoreResponse,
  CreateAlertDto,
  UpdateAlertDto,
} from '../dto/alert.dto';
import { AlertsService } from '../services/alerts.service';
import { mapPage } from '../../common/http/pagination.dto';

/**
 * Alerts and their score. `score` is declared before the `:id` routes, so Express matches it first instead of
 * handing "score" to the id pipe.
 */
@ApiTags('alerts')
@ApiBadRequestResponse({ description: 'Invalid id, query or body; the message names the field' })
@Controller('alerts')
export class AlertsController {
  constructor(private readonly alerts: AlertsService) {}

  @Get('score')
  @RequirePrivilege(Privilege.Read)
  @ApiOkResponse({
    type: AlertScoreResponse,
    description:
      '100 - floor(min(100, 50 ln(1 + W/10))), W summing per alert 1, 5, 20, 50 by severity, times 1 if active, ' +
      '0.5 if acknowledged, 0 if resolved; 100 when W is 0',
  })
  async score(): Promise<AlertScoreResponse> {
    return { score: await this.alerts.score() };
  }

  @Get()
  @RequirePrivilege(Privilege.Read)
  @ApiOkResponse({ type: AlertPageResponse, description: 'Newest first' })
  async list(@Query() query: AlertQuery): Promise<AlertPageResponse> {
    const page = await this.alerts.list(query);
    return mapPage(page, AlertResponse.of);
  }

  @Post()
  @RequirePrivilege(Privilege.Write)
  @ApiCreatedResponse({ type: AlertResponse, description: 'An active alert' })
  @ApiNotFoundResponse({ description: 'The host_id or item_id does not exist, or the item is not on that host' })
  async create(@Body() body: CreateAlertDto): Promise<AlertResponse> {
    return AlertResponse.of(await this.alerts.create(body));
  }

  @Get(':id')
  @RequirePrivilege(Privilege.Read)
  @ApiOkResponse({ type: AlertResponse })
  @ApiNotFoundResponse({ description: 'No such alert' })
  async get(@IdParam('id') id: number): Promise<AlertResponse> {
    return AlertResponse.of(await this.alerts.get(id));
  }

  @Patch(':id')
  @RequirePrivilege(Privilege.Write)
  @ApiOkResponse({ type: AlertResponse, description: 'Acknowledged or resolved by the caller, now' })
  @ApiNotFoundResponse({ description: 'No such alert' })
  @ApiConflictResponse({ description: 'Acknowledging an alert that is already resolved' })
  async update(
    @IdParam('id') id: number,
    @Body() body: UpdateAlertDto,
    @CurrentUser() user: User,
  ): Promise<AlertResponse> {
    return AlertResponse.of(await this.alerts.update(id, body, user.username));
  }

  @Delete(':id')
  @HttpCode(204)
  @RequirePrivilege(Privilege.Write)
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiNotFoundResponse({ description: 'No such alert' })
  async remove(@IdParam('id') id: number): Promise<void> {
    await this.alerts.remove(id);
  }
}
