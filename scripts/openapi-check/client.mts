// A client generated from the service's own OpenAPI document (openapi-typescript types + openapi-fetch), as a user
// of the API would write it. `tsc` type-checks it against the generated api.d.ts (a required body or a field the
// document lacks fails there), then it runs against the service: every async route called without a body, every
// documented field of the answers read. Run by scripts/openapi-check/run.sh; exits non-zero on any surprise.
import createClient from 'openapi-fetch';
import type { paths } from './api.js';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is unset`);
  return value;
};

function check(condition: unknown, what: string): asserts condition {
  if (!condition) throw new Error(`openapi client check failed: ${what}`);
}

const baseUrl = env('NAGARE_URL');
const login = await createClient<paths>({ baseUrl }).POST('/api/v1/auth/login', {
  body: { username: env('NAGARE_USERNAME'), password: env('NAGARE_PASSWORD') },
});
check(login.data, `login answered ${login.response.status}`);
const token: string = login.data.token;
const api = createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${token}` } });

const monitor = await api.POST('/api/v1/monitors', {
  body: { name: 'openapi-check', url: 'http://127.0.0.1:9/zabbix', type: 'zabbix', username: 'u', password: 'p' },
});
check(monitor.data, `POST /monitors answered ${monitor.response.status}`);
const monitorId: number = monitor.data.id;
const host = await api.POST('/api/v1/hosts', { body: { name: 'openapi-check-host', monitor_id: monitorId } });
check(host.data, `POST /hosts answered ${host.response.status}`);
const hostId: number = host.data.id;
const item = await api.POST('/api/v1/hosts/{id}/items', {
  params: { path: { id: hostId } },
  body: { name: 'openapi-check-item', key: 'openapi.check' },
});
check(item.data, `POST /hosts/{id}/items answered ${item.response.status}`);
const itemId: number = item.data.id;

interface Queued {
  message: string;
  task_id: string;
  deduplicated?: boolean;
  monitor_id: number;
  host_id?: number;
  item_id?: number;
}

/** Reads every field the 202 documents and checks the ids the route was called with came back. */
async function expectQueued(route: string, call: Promise<{ data?: Queued; response: Response }>, ids: object) {
  const { data, response } = await call;
  check(response.status === 202 && data, `${route} answered ${response.status}`);
  const { message, task_id, deduplicated, monitor_id, host_id, item_id } = data;
  check(typeof message === 'string' && /^\w+:\d+$/.test(task_id), `${route}: message and task_id`);
  check(deduplicated === undefined || deduplicated === true, `${route}: deduplicated`);
  const got = { monitor_id, host_id, item_id };
  for (const [key, value] of Object.entries(ids)) check(got[key as keyof typeof got] === value, `${route}: ${key}`);
  const status = await api.GET('/api/v1/tasks/{task_id}', { params: { path: { task_id } } });
  check(status.data?.task_id === task_id && typeof status.data.state === 'string', `${route}: GET its task`);
}

const onMonitor = { params: { path: { id: monitorId } } };
const onHost = { params: { path: { id: monitorId, hid: hostId } } };
const onItem = { params: { path: { id: monitorId, hid: hostId, iid: itemId } } };
const forHost = { monitor_id: monitorId, host_id: hostId };
const forItem = { ...forHost, item_id: itemId };
await expectQueued('pull-async', api.POST('/api/v1/monitors/{id}/hosts/pull-async', onMonitor), {
  monitor_id: monitorId,
});
await expectQueued('host pull-async', api.POST('/api/v1/monitors/{id}/hosts/{hid}/pull-async', onHost), forHost);
await expectQueued('host push-async', api.POST('/api/v1/monitors/{id}/hosts/{hid}/push-async', onHost), forHost);
await expectQueued('items pull-async', api.POST('/api/v1/monitors/{id}/hosts/{hid}/items/pull-async', onHost), forHost);
await expectQueued(
  'item pull-async',
  api.POST('/api/v1/monitors/{id}/hosts/{hid}/items/{iid}/pull-async', onItem),
  forItem,
);
await expectQueued(
  'item push-async',
  api.POST('/api/v1/monitors/{id}/hosts/{hid}/items/{iid}/push-async', onItem),
  forItem,
);

const alerts = await api.POST('/api/v1/alerts/generate-test-async', { params: { query: { count: 2 } } });
check(alerts.response.status === 202 && alerts.data, `generate-test-async answered ${alerts.response.status}`);
const { message, task_id, count } = alerts.data;
check(typeof message === 'string' && task_id.startsWith('generate_alerts:') && count === 2, 'generate-test-async');

const missing = await api.POST('/api/v1/monitors/{id}/hosts/pull-async', { params: { path: { id: 999999 } } });
check(missing.response.status === 404 && missing.error?.statusCode === 404, 'a missing monitor answers 404');
const notFound: string | string[] = missing.error.message;
check(String(notFound).includes('999999'), '404 message names the monitor');

console.log('openapi client: 7 async routes called without a body; every documented field read');
