import { Controller, HttpCode, Post } from '@nestjs/common';
import {
  ApiBadGatewayResponse,
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import { applyDecorators } from '@nestjs/common';
import { Privilege, RequirePrivilege } from '../../auth/decorators';
import { IdParam } from '../../common/http/id-param.decorator';
import { SyncResultResponse } from '../dto/item.dto';
import { SyncService } from '../sync/sync.service';

/** The synchronous sync endpoints: they run the sync inside the request and answer with its result. */
const SyncEndpoint = () =>
  applyDecorators(
    HttpCode(200),
    RequirePrivilege(Privilege.Write),
    ApiOkResponse({ type: SyncResultResponse }),
    ApiBadRequestResponse({ description: 'Invalid id' }),
    ApiNotFoundResponse({ description: 'No such monitor, host or item, or the host is not on that monitor' }),
    ApiConflictResponse({
      description:
        'A sync of this monitor is running, the monitor is disabled, the host/item was never pushed, or (a push) ' +
        "the monitor already has an object of that name (Zabbix's message) or the host's technical name is taken " +
        'by another host of the monitor (the message names both); the host/item is now in status 2 with it, the ' +
        'monitor keeps its status',
    }),
    ApiBadGatewayResponse({
      description:
        'The monitor cannot be reached (it is now in status 2 error) or refused its credentials (status 4 ' +
        'auth_failed). A synchronous sync of an auth_failed monitor tries once more; one that gets in makes it active',
    }),
    ApiServiceUnavailableResponse({ description: 'Redis is unavailable' }),
  );

/** A push also answers 422 when the monitor refuses the object itself. */
const PushEndpoint = () =>
  applyDecorators(
    SyncEndpoint(),
    ApiUnprocessableEntityResponse({
      description:
        'The monitor refused the host or item itself (Zabbix "Invalid params.", "No permissions", or the object ' +
        "is no longer there): Zabbix's message; the host/item is now in status 2 with it, the monitor keeps its " +
        'status',
    }),
  );

@ApiTags('sync')
@Controller('monitors/:id/hosts')
export class SyncController {
  constructor(private readonly sync: SyncService) {}

  @Post('pull')
  @SyncEndpoint()
  pullHosts(@IdParam('id') monitorId: number): Promise<SyncResultResponse> {
    return this.sync.pullHosts(monitorId);
  }

  @Post(':hid/pull')
  @SyncEndpoint()
  pullHost(@IdParam('id') monitorId: number, @IdParam('hid') hostId: number): Promise<SyncResultResponse> {
    return this.sync.pullHost(monitorId, hostId);
  }

  @Post(':hid/push')
  @PushEndpoint()
  pushHost(@IdParam('id') monitorId: number, @IdParam('hid') hostId: number): Promise<SyncResultResponse> {
    return this.sync.pushHost(monitorId, hostId);
  }

  @Post(':hid/items/pull')
  @SyncEndpoint()
  pullItems(@IdParam('id') monitorId: number, @IdParam('hid') hostId: number): Promise<SyncResultResponse> {
    return this.sync.pullItems(monitorId, hostId);
  }

  @Post(':hid/items/:iid/pull')
  @SyncEndpoint()
  pullItem(
    @IdParam('id') monitorId: number,
    @IdParam('hid') hostId: number,
    @IdParam('iid') itemId: number,
  ): Promise<SyncResultResponse> {
    return this.sync.pullItem(monitorId, hostId, itemId);
  }

  @Post(':hid/items/:iid/push')
  @PushEndpoint()
  pushItem(
    @IdParam('id') monitorId: number,
    @IdParam('hid') hostId: number,
    @IdParam('iid') itemId: number,
  ): Promise<SyncResultResponse> {
    return this.sync.pushItem(monitorId, hostId, itemId);
  }
}
