/** What Swagger UI lists for an operation (summary) and shows when it is opened (description). */
export interface OperationText {
  summary: string;
  description: string;
}

const op = (summary: string, description: string): OperationText => ({ summary, description });
const ASYNC =
  'Checks the target (404 for a missing one, 409 for a disabled monitor), queues the task and answers 202 at ' +
  'once. The body is optional: send {"callback_url": ...} to have the result POSTed there when the task ends.';

/**
 * Summary and description of every operation, keyed `METHOD /path` as the document lists it. The OpenAPI e2e
 * suite fails on an operation missing here, so a new route cannot reach the document undescribed.
 */
export const OPERATION_TEXTS: Readonly<Record<string, OperationText>> = {
  'POST /api/v1/auth/login': op(
    'Log in',
    'Exchanges a username and password for a bearer token. Failed logins are rate limited per username and client.',
  ),
  'GET /api/v1/auth/me': op('Who am I', 'The user the bearer token belongs to, with its privilege.'),
  'GET /api/v1/users': op('List users', 'Every user, paginated. Needs privilege 3.'),
  'POST /api/v1/users': op('Create a user', 'Adds a user with a password and a privilege. Needs privilege 3.'),
  'GET /api/v1/users/{id}': op('Get a user', 'One user by id. Needs privilege 3.'),
  'PATCH /api/v1/users/{id}': op('Change a user', 'Changes a user’s password or privilege. Needs privilege 3.'),
  'DELETE /api/v1/users/{id}': op('Delete a user', 'Removes a user. Needs privilege 3.'),
  'GET /api/v1/monitors': op('List monitors', 'The Zabbix servers configured, paginated; passwords are never shown.'),
  'POST /api/v1/monitors': op('Add a monitor', 'Adds a Zabbix server to sync from. Needs privilege 2.'),
  'GET /api/v1/monitors/{id}': op('Get a monitor', 'One monitor by id, without its password.'),
  'PATCH /api/v1/monitors/{id}': op('Change a monitor', 'Changes its URL, credentials or enabled state.'),
  'DELETE /api/v1/monitors/{id}': op('Remove a monitor', 'Removes the monitor from Nagare.'),
  'POST /api/v1/monitors/{id}/check': op(
    'Check a monitor connection',
    'Connects to the monitor and answers whether it is reachable; changes no inventory.',
  ),
  'GET /api/v1/hosts': op('List hosts', 'Hosts of every monitor, paginated and filterable.'),
  'POST /api/v1/hosts': op('Create a host', 'Adds a host to a monitor by hand (a sync may later update it).'),
  'GET /api/v1/monitors/{id}/hosts': op('List a monitor’s hosts', 'The hosts synced from one monitor, paginated.'),
  'GET /api/v1/hosts/{id}': op('Get a host', 'One host by id.'),
  'PATCH /api/v1/hosts/{id}': op('Change a host', 'Changes a host’s fields; push it to send them to the monitor.'),
  'DELETE /api/v1/hosts/{id}': op(
    'Delete a host',
    'Removes a host on no monitor from Nagare (204). A host on a monitor is refused (409) unless on_monitor=true, ' +
      'which queues its deletion there (host.delete, a push_host task, 202), then here.',
  ),
  'GET /api/v1/groups': op('List host groups', 'The host groups seen on the hosts synced so far.'),
  'GET /api/v1/items': op('List items', 'Items of every host, paginated and filterable.'),
  'GET /api/v1/hosts/{id}/items': op('List a host’s items', 'The items of one host, paginated.'),
  'POST /api/v1/hosts/{id}/items': op('Create an item', 'Adds an item to a host by hand.'),
  'GET /api/v1/items/{id}': op('Get an item', 'One item by id.'),
  'PATCH /api/v1/items/{id}': op('Change an item', 'Changes an item’s fields; push it to send them to the monitor.'),
  'DELETE /api/v1/items/{id}': op(
    'Delete an item',
    'Removes an item on no monitor from Nagare (204). An item on a monitor is refused (409) unless on_monitor=true, ' +
      'which queues its deletion there (item.delete, a push_item task, 202), then here.',
  ),
  'POST /api/v1/monitors/{id}/hosts/pull': op(
    'Pull all hosts now',
    'Fetches every host of the monitor and waits for the result. For large monitors use pull-async.',
  ),
  'POST /api/v1/monitors/{id}/hosts/{hid}/pull': op('Pull one host now', 'Fetches one host from the monitor.'),
  'POST /api/v1/monitors/{id}/hosts/{hid}/push': op('Push one host now', 'Sends one host’s fields to the monitor.'),
  'POST /api/v1/monitors/{id}/hosts/{hid}/items/pull': op(
    'Pull a host’s items now',
    'Fetches every item of one host from the monitor.',
  ),
  'POST /api/v1/monitors/{id}/hosts/{hid}/items/{iid}/pull': op('Pull one item now', 'Fetches one item.'),
  'POST /api/v1/monitors/{id}/hosts/{hid}/items/{iid}/push': op(
    'Push one item now',
    'Sends one item’s fields to the monitor.',
  ),
  'POST /api/v1/monitors/{id}/hosts/pull-async': op('Queue a pull of all hosts', `Task pull_hosts. ${ASYNC}`),
  'POST /api/v1/monitors/{id}/hosts/{hid}/pull-async': op('Queue a pull of one host', `Task pull_host. ${ASYNC}`),
  'POST /api/v1/monitors/{id}/hosts/{hid}/push-async': op('Queue a push of one host', `Task push_host. ${ASYNC}`),
  'POST /api/v1/monitors/{id}/hosts/{hid}/items/pull-async': op(
    'Queue a pull of a host’s items',
    `Task pull_items. ${ASYNC}`,
  ),
  'POST /api/v1/monitors/{id}/hosts/{hid}/items/{iid}/pull-async': op(
    'Queue a pull of one item',
    `Task pull_item. ${ASYNC}`,
  ),
  'POST /api/v1/monitors/{id}/hosts/{hid}/items/{iid}/push-async': op(
    'Queue a push of one item',
    `Task push_item. ${ASYNC}`,
  ),
  'POST /api/v1/monitors/{id}/alerts/pull': op(
    'Pull a monitor’s problems now',
    'Its open problems become alerts (source zabbix), those it closed are resolved; answers the counts.',
  ),
  'POST /api/v1/monitors/{id}/alerts/pull-async': op(
    'Queue a pull of a monitor’s problems',
    `Task pull_alerts. ${ASYNC}`,
  ),
  'POST /api/v1/monitors/{id}/event-token': op(
    'Make a monitor’s event token',
    'A new token for the monitor’s webhook media type, shown once; the previous one stops working.',
  ),
  'POST /api/v1/monitors/{id}/events': op(
    'Receive a monitor’s event',
    'A problem, update or recovery posted by the monitor’s webhook media type, authenticated by its event token.',
  ),
  'GET /api/v1/alerts': op('List alerts', 'Alerts, paginated and filterable by state and severity.'),
  'POST /api/v1/alerts': op('Create an alert', 'Records an alert on a host (and optionally one of its items).'),
  'GET /api/v1/alerts/score': op('Alert score', 'The health score computed from the active alerts and their weights.'),
  'GET /api/v1/alerts/{id}': op('Get an alert', 'One alert by id.'),
  'PATCH /api/v1/alerts/{id}': op('Change an alert', 'Changes an alert, e.g. resolves it.'),
  'DELETE /api/v1/alerts/{id}': op('Delete an alert', 'Removes an alert.'),
  'POST /api/v1/alerts/generate-test': op(
    'Generate test alerts now',
    'Creates `count` active alerts on random hosts; a critical one puts its host and item in error.',
  ),
  'POST /api/v1/alerts/generate-test-async': op(
    'Queue test alert generation',
    'Task generate_alerts: queues the generation of `count` test alerts and answers 202 at once (409 when there ' +
      'are no hosts). The body is optional: {"callback_url": ...} has the result POSTed there.',
  ),
  'GET /api/v1/queue/stats': op(
    'Pending tasks per type',
    'Tasks waiting to run (waiting, paused + delayed) per task type.',
  ),
  'GET /api/v1/queue/stats/detail': op(
    'Queue counts per type',
    'Waiting, delayed, active, completed, failed and dead counts per task type.',
  ),
  'GET /api/v1/tasks/{task_id}': op(
    'Task status',
    'State, progress, result or error of a task by its id (<type>:<number>), kept for the retention period.',
  ),
  'DELETE /api/v1/tasks/{task_id}': op(
    'Cancel a task',
    'Takes a waiting, paused or delayed task out of its queue before any worker starts it; 409 once it is active or ' +
      'ended. Its callback_url gets task.cancelled. Needs privilege 2.',
  ),
  'POST /api/v1/queue/{type}/pause': op(
    'Pause a task type',
    'No worker starts a task of this type until it is resumed; tasks are still queued (202) and active ones finish. ' +
      'Kept in Redis, so it outlives restarts. Needs privilege 2.',
  ),
  'POST /api/v1/queue/{type}/resume': op(
    'Resume a task type',
    'Workers take the tasks of this type again, those queued while it was paused first. Needs privilege 2.',
  ),
  'GET /api/v1/tasks/{task_id}/events': op(
    'Follow a task',
    'Server-sent events of the task’s progress until it ends; open streams per user are limited (429).',
  ),
  'GET /api/v1/queue/dead': op('List dead letters', 'Tasks that failed every attempt, newest first, paginated.'),
  'DELETE /api/v1/queue/dead': op('Purge dead letters', 'Removes every dead letter; answers how many.'),
  'GET /api/v1/queue/dead/summary': op(
    'Dead letters by type and reason',
    'Counts of dead letters by task type and by normalised error reason.',
  ),
  'POST /api/v1/queue/dead/retry': op(
    'Retry dead letters in bulk',
    'Queues again the dead letters of a type and/or reason (oldest first, up to limit) and removes them.',
  ),
  'GET /api/v1/queue/dead/{task_id}': op('Get a dead letter', 'One dead letter with its payload and last error.'),
  'POST /api/v1/queue/dead/{task_id}/retry': op(
    'Retry a dead letter',
    'Queues the dead letter again as a new task and removes it; 409 while its target is gone or disabled.',
  ),
  'DELETE /api/v1/queue/dead/{task_id}': op('Remove a dead letter', 'Removes one dead letter without retrying it.'),
  'GET /api/v1/webhooks/dead': op(
    'List failed callbacks',
    'Callback deliveries that failed every attempt, newest first.',
  ),
  'GET /health/live': op('Liveness probe', 'Answers 200 while the process serves HTTP; checks nothing else.'),
  'GET /health/ready': op(
    'Readiness probe',
    'Answers 200 when the database and Redis answer, 503 with the report if not.',
  ),
  'GET /metrics': op(
    'Prometheus metrics',
    'The service’s queue and task metrics in the Prometheus text exposition format.',
  ),
};
