import { BullAdapter } from '@bull-board/api/bullAdapter';
import type { Queue } from 'bull';
import { redactCallbackUrl } from '../common/logging/redact-callback-url';
import { SCHEDULE_QUEUE } from '../monitors/schedule/sync-schedule.constants';
import { DEAD_LETTER_QUEUE, formatTaskId, isTaskType, TASK_TYPES } from '../queue/task-types';
import { WEBHOOK_DEAD_QUEUE, WEBHOOK_QUEUE } from '../webhooks/webhook-types';

/** What the dashboard says about the queues it knows; it shows any other Bull queue of the process too. */
const DESCRIPTIONS: Readonly<Record<string, string>> = {
  ...Object.fromEntries(TASK_TYPES.map((type) => [type, `${type} tasks (failed: those in the dead letters)`])),
  [SCHEDULE_QUEUE]: 'runs of the scheduled sync (sync.interval_seconds)',
  [WEBHOOK_QUEUE]: 'webhook deliveries (callback_url)',
};
const KNOWN_ORDER = Object.keys(DESCRIPTIONS);

/**
 * Queues the board leaves out: stores no worker takes from, each entry a copy of a job already shown as failed in
 * its own queue (a dead task in its type's queue, a dead delivery in `webhooks`). Shown, every dead task would count
 * twice and its store would warn "No workers". The API reads and manages them: /api/v1/queue/dead, /webhooks/dead.
 */
export const STORE_QUEUES: readonly string[] = [DEAD_LETTER_QUEUE, WEBHOOK_DEAD_QUEUE];

interface ShownJob {
  id?: string | number;
  name?: string;
  data?: { task_id?: string; event?: string };
}

/** A job's data as the board shows it: a task's callback_url, a delivery's url, with their secrets redacted. */
export function boardJobData(data: unknown): unknown {
  if (typeof data !== 'object' || data === null) return data;
  const shown: Record<string, unknown> = { ...data };
  for (const field of ['callback_url', 'url']) {
    if (typeof shown[field] === 'string') shown[field] = redactCallbackUrl(shown[field]);
  }
  return shown;
}

/**
 * How the board names a job: a task by its task id (`pull_hosts:42`), a webhook delivery by its event and task. Computed from the queue and the job, so jobs an older version added
 * unnamed (`__default__`) show the same.
 */
export function boardJobName(queueName: string, job: ShownJob): string {
  if (isTaskType(queueName) && job.id !== undefined) return formatTaskId(queueName, job.id);
  if (job.data?.event && job.data.task_id) return `${job.data.event} ${job.data.task_id}`;
  return job.name ?? '';
}

/** One board adapter per queue but the stores, in the dashboard's order; read-only, or open to BoardActions' actions. */
export function boardAdapters(queues: Queue[], readOnly: boolean): BullAdapter[] {
  const rank = (name: string) => (KNOWN_ORDER.includes(name) ? KNOWN_ORDER.indexOf(name) : KNOWN_ORDER.length);
  return queues
    .filter((queue) => !STORE_QUEUES.includes(queue.name))
    .sort((a, b) => rank(a.name) - rank(b.name) || a.name.localeCompare(b.name))
    .map((queue) => {
      const options = { readOnlyMode: readOnly, allowRetries: !readOnly, description: DESCRIPTIONS[queue.name] ?? '' };
      const adapter = new BullAdapter(queue, options);
      adapter.setFormatter('name', (job: ShownJob) => boardJobName(queue.name, job));
      adapter.setFormatter('data', boardJobData);
      return adapter;
    });
}
