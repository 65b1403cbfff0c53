import type { TagObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';

/** The document's tags in reading order: log in first, then the inventory, then the work on it, then operations. */
export const OPENAPI_TAGS: readonly TagObject[] = [
  { name: 'auth', description: 'Log in for a bearer token (POST /api/v1/auth/login) and see who it belongs to.' },
  { name: 'users', description: 'Manage users and their privileges (1 read, 2 write and run tasks, 3 manage users).' },
  { name: 'monitors', description: 'The Zabbix servers Nagare syncs from: add, change, remove, check a connection.' },
  { name: 'hosts', description: 'Hosts synced from a monitor (or created by hand), and their host groups.' },
  { name: 'items', description: 'Items of a host, synced from the monitor or created by hand.' },
  {
    name: 'sync',
    description: 'Synchronous pulls and pushes: the request waits for the monitor and answers with the result.',
  },
  {
    name: 'tasks',
    description:
      'The same syncs queued as tasks: 202 with a task_id at once, followed at GET /api/v1/tasks/{task_id}. ' +
      'The body (callback_url) is optional; an Idempotency-Key makes a retried request queue the task once.',
  },
  { name: 'alerts', description: 'Alerts, the test alert generator (sync or as a task) and the alert score.' },
  {
    name: 'queue',
    description:
      'The task queues: pending counts, a task status and its event stream, dead letters to read, retry or remove.',
  },
  { name: 'webhooks', description: 'Callback deliveries that failed every attempt (webhook dead letters).' },
  { name: 'health', description: 'Liveness and readiness probes (public): readiness reports the database and Redis.' },
  {
    name: 'metrics',
    description: 'Prometheus scrape endpoint; behind its own bearer token when metrics.token is set.',
  },
];
