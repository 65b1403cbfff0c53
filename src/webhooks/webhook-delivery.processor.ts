import { InjectQueue } from '@nestjs/bull';
import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleInit,
} from '@nestjs/common';
import type { Job, Queue } from 'bull';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { ForbiddenCallbackError, parseCallbackUrl, UrlPolicy } from './url-policy';
import { postTo } from './webhook-post';
import { WebhookSigner } from './webhook-signer';
import { type DeadWebhook, WEBHOOK_DEAD_QUEUE, WEBHOOK_QUEUE, type WebhookDeliveryJob } from './webhook-types';

const CONCURRENCY = 8;
const SWEEP_BATCH = 500;
const DRAIN_TIMEOUT_MS = 5000;

/** A failure retrying cannot mend: the delivery goes to the webhook dead letters at once. */
class FinalDeliveryError extends Error {}

/**
 * Delivers the queued webhooks in worker processes: checks the URL again, POSTs the signed body to the
 * address that passed, and counts only a 2xx as delivered. A 3xx is not followed and not retried (the
 * receiver would redirect again); a refused address is not retried either; anything else (a 5xx, a 4xx, a
 * timeout, a refused connection) is retried with exponential backoff up to `webhook.max_retries` times. A
 * delivery that fails for good is kept in the `webhooks_dead` queue.
 */
@Injectable()
export class WebhookDelivery implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('webhooks');
  private started = false;

  constructor(
    @InjectQueue(WEBHOOK_QUEUE) private readonly queue: Queue<WebhookDeliveryJob>,
    @InjectQueue(WEBHOOK_DEAD_QUEUE) private readonly dead: Queue<DeadWebhook>,
    private readonly policy: UrlPolicy,
    private readonly signer: WebhookSigner,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    for (const queue of [this.queue, this.dead] as Queue[]) {
      queue.on('error', () => undefined); // QueueLifecycle already reports Redis being down
      // Close without waiting for active jobs: beforeApplicationShutdown has given them their time.
      (queue as Queue & { onApplicationShutdown?: () => Promise<void> }).onApplicationShutdown = () =>
        queue.close(true).catch(() => undefined);
    }
  }

  onApplicationBootstrap(): void {
    if (this.config.role === 'api') return;
    this.started = true;
    this.queue.on('failed', (job: Job<WebhookDeliveryJob>, error: Error) => {
      if (job.finishedOn) void this.bury(job, error.message);
    });
    this.queue
      .process(CONCURRENCY, (job: Job<WebhookDeliveryJob>) => this.deliver(job))
      .catch((error: Error) => this.logger.error({ msg: 'webhook deliveries could not start', err: error }));
    void this.sweep();
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (!this.started) return;
    await Promise.race([this.queue.pause(true).catch(() => undefined), sleep(DRAIN_TIMEOUT_MS)]);
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
      const final = error instanceof FinalDeliveryError || error instanceof ForbiddenCallbackError;
      if (final) await job.discard();
      const reason =
        error instanceof ForbiddenCallbackError ? `callback_url ${error.message}` : (error as Error).message;
      this.logger.warn({ msg: `webhook ${event} for task ${taskId} failed: ${reason}`, ...context, final });
      throw final ? new Error(reason) : error;
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
      await this.dead.add(letter, { jobId: String(job.id), removeOnComplete: false, removeOnFail: false });
      this.logger.warn({
        msg: `webhook ${letter.event} for task ${letter.task_id} moved to the webhook dead letters`,
        ...letter,
      });
    } catch (error) {
      this.logger.error({
        msg: `could not keep the failed webhook ${String(job.id)}; the next start will`,
        err: error,
      });
    }
  }

  /** Keeps every delivery that ended failed but never reached the dead letters (a process died in between). */
  private async sweep(): Promise<void> {
    try {
      for (let start = 0; ; start += SWEEP_BATCH) {
        const failed = await this.queue.getFailed(start, start + SWEEP_BATCH - 1);
        for (const job of failed) {
          if (!(await this.dead.getJob(String(job.id)))) await this.bury(job, job.failedReason ?? 'failed');
        }
        if (failed.length < SWEEP_BATCH) break;
      }
    } catch (error) {
      this.logger.warn({ msg: 'could not sweep the failed webhooks', reason: (error as Error).message });
    }
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms).unref());
