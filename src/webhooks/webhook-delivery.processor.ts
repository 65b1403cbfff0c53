import { InjectQueue } from '@nestjs/bull';
import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import type { Job, Queue } from 'bull';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { redactCallbackUrl } from '../common/logging/redact-callback-url';
import { WorkerHost } from '../queue/worker-host';
import { ForbiddenCallbackError, parseCallbackUrl, UrlPolicy } from './url-policy';
import { postTo } from './webhook-post';
import { WebhookSigner } from './webhook-signer';
import { type DeadWebhook, WEBHOOK_DEAD_QUEUE, WEBHOOK_QUEUE, type WebhookDeliveryJob } from './webhook-types';

const CONCURRENCY = 8;

/** A failure retrying cannot mend: the delivery goes to the webhook dead letters at once. */
class FinalDeliveryError extends Error {}

/**
 * Delivers the queued webhooks in worker processes: checks the URL again, POSTs the signed body to the
 * address that passed, and counts only a 2xx as delivered. A 3xx is not followed and not retried (the
 * receiver would redirect again); a refused address is not retried either; anything else (a 5xx, a 4xx, a
 * timeout, a refused connection) is retried with exponential backoff up to `webhook.max_retries` times. A
 * delivery that fails for good is kept in the `webhooks_dead` queue. Runs on the worker host, which sweeps,
 * drains and closes the queues.
 */
@Injectable()
export class WebhookDelivery implements OnApplicationBootstrap {
  private readonly logger = new Logger('webhooks');

  constructor(
    @InjectQueue(WEBHOOK_QUEUE) private readonly queue: Queue<WebhookDeliveryJob>,
    @InjectQueue(WEBHOOK_DEAD_QUEUE) private readonly dead: Queue<DeadWebhook>,
    private readonly policy: UrlPolicy,
    private readonly signer: WebhookSigner,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly host: WorkerHost,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.host.runsWorkers) return;
    this.host.run<WebhookDeliveryJob>({
      queue: this.queue,
      jobs: 'webhook deliveries',
      concurrency: CONCURRENCY,
      handle: (job) => this.deliver(job),
      isFinal: (error) => error instanceof FinalDeliveryError,
      dead: {
        bury: (job, reason) => this.bury(job, reason),
        holds: async (job) => Boolean(await this.dead.getJob(String(job.id))),
      },
      describe: (job) => `webhook ${job.data.event} for task ${job.data.task_id}`,
    });
  }

  async deliver(job: Job<WebhookDeliveryJob>): Promise<{ status: number }> {
    const { delivery_id: deliveryId, event, task_id: taskId } = job.data;
    const attempt = job.attemptsMade + 1;
    const context = { delivery_id: deliveryId, event, task_id: taskId, attempt };
    try {
      const url = parseCallbackUrl(job.data.url);
      const address = await this.policy.resolve(url);
      const headers = {
        'content-type': 'application/json',
        'user-agent': 'Nagare-Webhook/1',
        'x-nagare-event': event,
        'x-nagare-delivery': deliveryId,
        'x-nagare-signature': this.signer.sign(job.data.body),
      };
      const { status } = await postTo(url, address, headers, job.data.body, this.config.webhook.timeoutMs);
      if (status >= 200 && status < 300) {
        this.logger.log({ msg: `webhook ${event} for task ${taskId} delivered`, ...context, status });
        return { status };
      }
      if (status >= 300 && status < 400)
        throw new FinalDeliveryError(`receiver answered ${status}; redirects are not followed`);
      throw new Error(`receiver answered ${status}`);
    } catch (error) {
      const failure =
        error instanceof ForbiddenCallbackError ? new FinalDeliveryError(`callback_url ${error.message}`) : error;
      const final = failure instanceof FinalDeliveryError;
      this.logger.warn({
        msg: `webhook ${event} for task ${taskId} failed: ${(failure as Error).message}`,
        ...context,
        final,
      });
      throw failure;
    }
  }

  /** Newest first. */
  async listDead(limit: number, offset: number): Promise<{ items: DeadWebhook[]; total: number }> {
    const [jobs, total] = await Promise.all([
      this.dead.getJobs(['waiting'], offset, offset + limit - 1, false),
      this.dead.getWaitingCount(),
    ]);
    return { items: jobs.filter((job): job is Job<DeadWebhook> => Boolean(job)).map((job) => job.data), total };
  }

  private async bury(job: Job<WebhookDeliveryJob>, reason: string): Promise<void> {
    const letter: DeadWebhook = {
      delivery_id: job.data.delivery_id,
      event: job.data.event,
      task_id: job.data.task_id,
      url: job.data.url,
      error: reason,
      attempts: job.attemptsMade,
      failed_at: new Date(job.finishedOn ?? Date.now()).toISOString(),
    };
    try {
      await this.dead.add(letter.event, letter, {
        jobId: String(job.id),
        removeOnComplete: false,
        removeOnFail: false,
      });
      this.logger.warn({
        msg: `webhook ${letter.event} for task ${letter.task_id} moved to the webhook dead letters`,
        ...letter,
        url: redactCallbackUrl(letter.url),
      });
    } catch (error) {
      this.logger.error({
        msg: `could not keep the failed webhook ${String(job.id)}; the next start will`,
        err: error,
      });
    }
  }
}
