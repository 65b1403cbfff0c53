import { Body, Controller, HttpCode, Post, UseGuards } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { Privilege, Public, RequirePrivilege } from '../../auth/decorators';
import { IdParam } from '../../common/http/id-param.decorator';
import { EventTokens } from '../../monitors/services/event-tokens';
import { AlertEvents } from './alert-events.service';
import { EventTokenGuard } from './event-token.guard';
import { EventTokenResponse, ZabbixEventDto, ZabbixEventResponse } from './zabbix-event.dto';

/** Problems in real time: the events a monitor's webhook media type posts, and the token that authenticates them. */
@ApiTags('alerts')
@Controller('monitors/:id')
export class AlertEventsController {
  constructor(
    private readonly tokens: EventTokens,
    private readonly events: AlertEvents,
  ) {}

  @Post('event-token')
  @RequirePrivilege(Privilege.Write)
  @ApiCreatedResponse({
    type: EventTokenResponse,
    description: 'A new event token, shown once; the old one stops working',
  })
  @ApiBadRequestResponse({ description: 'Invalid id' })
  @ApiNotFoundResponse({ description: 'No such monitor; nothing was changed' })
  async rotateToken(@IdParam('id') monitorId: number): Promise<EventTokenResponse> {
    return { monitor_id: monitorId, event_token: await this.tokens.rotate(monitorId) };
  }

  /** Public to the JWT guard: the monitor's event token authenticates it instead (EventTokenGuard). */
  @Post('events')
  @Public()
  @UseGuards(EventTokenGuard)
  @HttpCode(200)
  @ApiBearerAuth('event_token')
  @ApiOkResponse({ type: ZabbixEventResponse })
  @ApiBadRequestResponse({
    description: 'Invalid id, or a malformed event (the message names the field): nothing changed',
  })
  @ApiUnauthorizedResponse({
    description:
      'Missing or wrong event token for this monitor (a user’s token is not one), or no such monitor: the two are ' +
      'not told apart before the caller is authenticated',
  })
  async receive(@IdParam('id') monitorId: number, @Body() event: ZabbixEventDto): Promise<ZabbixEventResponse> {
    return this.events.handle(monitorId, event);
  }
}
