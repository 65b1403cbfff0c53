import { Controller, Get, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { Privilege, RequirePrivilege } from '../auth/decorators';
import { redactCallbackUrl } from '../common/logging/redact-callback-url';
import { PaginationQuery } from '../common/http/pagination.dto';
import { bounded, REDIS_REPLY_TIMEOUT_MS } from '../redis/bounded';
import { WebhookDelivery } from './webhook-delivery.processor';
import { DeadWebhookPageResponse } from './webhooks.dto';

@ApiTags('webhooks')
@ApiServiceUnavailableResponse({ description: 'Redis is unavailable' })
@Controller('webhooks')
export class WebhooksController {
  constructor(private readonly delivery: WebhookDelivery) {}

  @Get('dead')
  @RequirePrivilege(Privilege.Write)
  @ApiOkResponse({ type: DeadWebhookPageResponse, description: 'Deliveries that failed for good, newest first' })
  @ApiBadRequestResponse({ description: 'limit or offset invalid' })
  async dead(@Query() query: PaginationQuery): Promise<DeadWebhookPageResponse> {
    const page = await bounded(this.delivery.listDead(query.limit, query.offset), REDIS_REPLY_TIMEOUT_MS);
    const items = page.items.map((letter) => ({ ...letter, url: redactCallbackUrl(letter.url) }));
    return { ...page, items, limit: query.limit, offset: query.offset };
  }
}
