import { BullModule } from '@nestjs/bull';
import { Module } from '@nestjs/common';
import { QueueModule } from '../queue/queue.module';
import { UrlPolicy } from './url-policy';
import { WebhookDelivery } from './webhook-delivery.processor';
import { WebhookNotifier } from './webhook-notifier.service';
import { WebhookSigner } from './webhook-signer';
import { WEBHOOK_DEAD_QUEUE, WEBHOOK_QUEUE } from './webhook-types';
import { WebhooksController } from './webhooks.controller';

/**
 * Task result callbacks: the URL policy, the signer, the delivery queue `webhooks` with its worker and its dead
 * letters `webhooks_dead`. Uses the queue module's Bull connection and worker host, and
 * listens on its task-ended hook to check callback URLs and to announce tasks that end.
 */
@Module({
  imports: [QueueModule, BullModule.registerQueue({ name: WEBHOOK_QUEUE }, { name: WEBHOOK_DEAD_QUEUE })],
  controllers: [WebhooksController],
  providers: [UrlPolicy, WebhookSigner, WebhookNotifier, WebhookDelivery],
  exports: [WebhookNotifier],
})
export class WebhooksModule {}
