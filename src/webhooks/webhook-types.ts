/** The Bull queue of pending deliveries, beside (not among) the seven task queues. */
export const WEBHOOK_QUEUE = 'webhooks';
/** Worker-less Bull queue of deliveries that failed for good; job id = the delivery's job id. */
export const WEBHOOK_DEAD_QUEUE = 'webhooks_dead';

export type WebhookEvent = 'task.completed' | 'task.dead' | 'task.cancelled';

/** What is POSTed to the callback URL. */
export interface WebhookPayload {
  event: WebhookEvent;
  task_id: string;
  type: string;
  params: object;
  result?: unknown;
  error?: string;
  attempts: number;
  finished_at: string;
}

/** The data of a delivery job: the body is serialised once, so every attempt sends (and signs) the same bytes. */
export interface WebhookDeliveryJob {
  delivery_id: string;
  event: WebhookEvent;
  task_id: string;
  url: string;
  body: string;
}

/** A delivery that failed for good, as GET /api/v1/webhooks/dead lists it. */
export interface DeadWebhook {
  delivery_id: string;
  event: WebhookEvent;
  task_id: string;
  url: string;
  error: string;
  attempts: number;
  failed_at: string;
}

/** Bull job id of a task's delivery for an event: a second enqueue for the same pair is a no-op. */
export function deliveryJobId(event: WebhookEvent, taskId: string): string {
  return `${event}:${taskId}`;
}
