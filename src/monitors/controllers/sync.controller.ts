import { Controller, HttpCode, Post } from '@nestjs/common';
import {
  ApiBadGatewayResponse,
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiServiceUnavailableResponse,
  ApiTags,
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
      description: 'A sync of this monitor is running, the monitor is disabled, or the host/item was never pushed',
    }),
    ApiBadGatewayResponse({
      description: 'The monitor cannot be reached or refused its credentials; the monitor is now in status 2',
    }),
    ApiServiceUnavailableResponse({ description: 'Redis is unavailable' }),
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
  @SyncEndpoint()
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
  @SyncEndpoint()
  pushItem(
    @IdParam('id') monitorId: number,
    @IdParam('hid') hostId: number,
    @IdParam('iid') itemId: number,
  ): Promise<SyncResultResponse> {
    return this.sync.pushItem(monitorId, hostId, itemId);
  }
}
