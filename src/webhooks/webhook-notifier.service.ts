import { InjectQueue } from '@nestjs/bull';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Queue } from 'bull';
import { randomUUID } from 'node:crypto';
import { InvalidInputError } from '../common/http/domain-error';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { type EndedTask, TaskEndedHook, type TaskEndedListener } from '../queue/task-ended.hook';
import { UrlPolicy } from './url-policy';
import { WebhookSigner } from './webhook-signer';
import {
  deliveryJobId,
  WEBHOOK_QUEUE,
  type WebhookDeliveryJob,
  type WebhookEvent,
  type WebhookPayload,
} from './webhook-types';

/**
 * The webhooks' listener on the queue's task-ended hook: checks callback URLs at enqueue and queues one delivery
 * per task and event when a task with a callback ends. Delivering is WebhookDelivery's job, in the worker processes.
 */
@Injectable()
export class WebhookNotifier implements TaskEndedListener {
  private readonly logger = new Logger('webhooks');

  constructor(
    @InjectQueue(WEBHOOK_QUEUE) private readonly queue: Queue<WebhookDeliveryJob>,
    private readonly policy: UrlPolicy,
    private readonly signer: WebhookSigner,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    hook: TaskEndedHook,
  ) {
    hook.subscribe(this);
  }

  /** The URL to store with the task, or a 400 naming callback_url. */
  async checkCallbackUrl(url: string): Promise<string> {
    if (!this.signer.enabled) {
      throw new InvalidInputError(
        'callback_url cannot be used: the service has no webhook.secret (WEBHOOK_SECRET) to sign deliveries with',
      );
    }
    return this.policy.checkCallbackUrl(url);
  }

  completed(task: EndedTask, result: unknown): Promise<void> {
    return this.notify('task.completed', task, { result: result ?? null });
  }

  dead(task: EndedTask, error: string): Promise<void> {
    return this.notify('task.dead', task, { error });
  }

  cancelled(task: EndedTask): Promise<void> {
    return this.notify('task.cancelled', task, {});
  }

  private async notify(event: WebhookEvent, task: EndedTask, outcome: { result?: unknown; error?: string }) {
    if (!task.callbackUrl) return;
    const payload: WebhookPayload = {
      event,
      task_id: task.taskId,
      type: task.type,
      params: task.params,
      ...outcome,
      attempts: task.attempts,
      finished_at: new Date(task.finishedAt).toISOString(),
    };
    const job: WebhookDeliveryJob = {
      delivery_id: randomUUID(),
      event,
      task_id: task.taskId,
      url: task.callbackUrl,
      body: JSON.stringify(payload),
    };
    const keepFor = { age: this.config.queue.retentionSeconds, count: this.config.queue.retentionCount };
    // The job id makes a second notice for the same task and event (a re-run, a second bury) a no-op.
    await this.queue.add(event, job, {
      jobId: deliveryJobId(event, task.taskId),
      attempts: this.config.webhook.maxRetries + 1,
      backoff: { type: 'exponential', delay: this.config.webhook.backoffMs },
      removeOnComplete: keepFor,
      removeOnFail: keepFor,
    });
    this.logger.log({
      msg: `webhook ${event} for task ${task.taskId} queued`,
      task_id: task.taskId,
      event,
    });
  }
}
