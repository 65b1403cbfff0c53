import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Seconds; task durations run from milliseconds (test alerts) to minutes (a full pull of a large monitor). */
const TASK_DURATION_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];
const HTTP_DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * Every metric the service exposes, in a registry of its own (not prom-client's global one), so each app
 * instance — several run in one Jest process — counts only its own.
 */
export class MetricsRegistry {
  readonly registry = new Registry();

  readonly queueJobs = new Gauge({
    name: 'nagare_queue_jobs',
    help: 'Tasks in each queue by state, read from Redis at scrape time',
    labelNames: ['type', 'state'] as const,
    registers: [this.registry],
  });

  readonly oldestWaiting = new Gauge({
    name: 'nagare_queue_oldest_waiting_seconds',
    help: 'Age of the oldest task waiting for a worker (paused types included), by type; 0 when none waits',
    labelNames: ['type'] as const,
    registers: [this.registry],
  });

  readonly workers = new Gauge({
    name: 'nagare_queue_workers',
    help: 'Worker processes taking tasks of each type (their Redis connections), read from Redis at scrape time',
    labelNames: ['type'] as const,
    registers: [this.registry],
  });

  readonly deadLetters = new Gauge({
    name: 'nagare_dead_letters',
    help: 'Tasks in the dead-letter queue (all types), read from Redis at scrape time',
    registers: [this.registry],
  });

  readonly queueScrapeOk = new Gauge({
    name: 'nagare_queue_scrape_ok',
    help: '1 when the queue gauges of this scrape were read from Redis, 0 when Redis did not answer in time',
    registers: [this.registry],
  });

  readonly tasksCompleted = new Counter({
    name: 'nagare_tasks_completed_total',
    help: 'Tasks completed, by type, seen by this API process since it started',
    labelNames: ['type'] as const,
    registers: [this.registry],
  });

  readonly tasksFailed = new Counter({
    name: 'nagare_tasks_failed_total',
    help: 'Tasks failed for good (no retry left), by type, seen by this API process since it started',
    labelNames: ['type'] as const,
    registers: [this.registry],
  });

  readonly tasksRetried = new Counter({
    name: 'nagare_tasks_retried_total',
    help: 'Retry attempts started, by type, seen by this API process since it started',
    labelNames: ['type'] as const,
    registers: [this.registry],
  });

  readonly taskDuration = new Histogram({
    name: 'nagare_task_duration_seconds',
    help: 'Run time of completed tasks (last attempt, from processedOn to finishedOn), by type',
    labelNames: ['type'] as const,
    buckets: TASK_DURATION_BUCKETS,
    registers: [this.registry],
  });

  readonly httpDuration = new Histogram({
    name: 'nagare_http_request_duration_seconds',
    help: 'HTTP request duration by method, route pattern (or "unmatched") and status code',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: HTTP_DURATION_BUCKETS,
    registers: [this.registry],
  });

  constructor() {
    // CPU, memory, heap, event-loop lag, handles: prom-client's standard process_* and nodejs_* families.
    collectDefaultMetrics({ register: this.registry });
  }
}
