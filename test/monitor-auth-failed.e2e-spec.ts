import { jest } from '@jest/globals';
import { SyncStatus } from '../src/monitors/entities/sync-status';
import { type Api, apiAs, createMonitor, seeder, tokenWithPrivilege } from './support/inventory-factory';
import { jobTotal, queueDetail, waitForTask } from './support/queue-helpers';
import { DocumentedResponses } from './support/documented-responses';
import { startTestApp, type TestApp } from './support/test-app';
import { FakeZabbix, LOGIN_REFUSED } from './support/zabbix';

jest.setTimeout(60_000);

const REFUSED = `Monitor rejected the credentials: ${LOGIN_REFUSED}`;

/**
 * A refused login is final: one attempt, the monitor auth_failed with Zabbix's words, and no task for it queued or
 * run (409 naming the status) until its credentials change. The fake Zabbix counts the user.login calls; the same
 * against real Zabbix 6.0 and 7.0 is test/zabbix/auth-failed.contract-spec.ts.
 */
describe('monitors whose credentials are refused (e2e)', () => {
  let t: TestApp;
  let documented: DocumentedResponses;
  let token: string;
  let admin: Api;
  let writer: Api;
  let seed: ReturnType<typeof seeder>;
  const servers: FakeZabbix[] = [];

  beforeAll(async () => {
    t = await startTestApp({ TASK_BACKOFF_MS: '20' });
    documented = await DocumentedResponses.watch(t.http);
    token = await t.login();
    admin = apiAs(t, token);
    writer = apiAs(t, await tokenWithPrivilege(t, admin, 2));
    seed = seeder(t);
  });
  afterAll(async () => {
    await t?.close();
    await Promise.all(servers.map((server) => server.close()));
  });

  async function fakeZabbix(): Promise<FakeZabbix> {
    const fake = await FakeZabbix.start({ version: '7.0.22' });
    servers.push(fake);
    fake.on('host.get', () => []).on('item.get', () => []);
    return fake;
  }

  /** A monitor of a fake Zabbix with a wrong password, turned auth_failed by one async pull (one login). */
  async function refusedMonitor() {
    const fake = await fakeZabbix();
    const monitor = await createMonitor(writer, { url: fake.url, password: 'not-the-password' });
    const queued = await writer.post(`/monitors/${monitor.id}/hosts/pull-async`);
    expect(queued.status).toBe(202);
    const task = await waitForTask(t.http, token, queued.body.task_id, ['dead', 'completed'], 20_000);
    return { fake, monitor, task };
  }

  it('tries a refused login once: the task dead with the reason, the monitor auth_failed', async () => {
    const { fake, monitor, task } = await refusedMonitor();
    expect(task).toMatchObject({ state: 'dead', error: REFUSED, attempts_made: 1 });
    expect(fake.calls('user.login')).toHaveLength(1);
    expect((await admin.get(`/monitors/${monitor.id}`)).body).toMatchObject({
      status: SyncStatus.AuthFailed,
      status_description: REFUSED,
    });
    const letter = await admin.get(`/queue/dead/${task.task_id}`);
    expect(letter.body).toMatchObject({ error: REFUSED, attempts: 1 });
    // Still one login: nothing retried it in the background.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(fake.calls('user.login')).toHaveLength(1);
  });

  it('answers 409 naming the status to every async route of an auth_failed monitor, and queues nothing', async () => {
    const { fake, monitor, task } = await refusedMonitor();
    const host = await seed.syncedHost(monitor.id);
    const item = await seed.syncedItem(host);
    const before = jobTotal(await queueDetail(t.http, token));
    const paths = [
      `/monitors/${monitor.id}/hosts/pull-async`,
      `/monitors/${monitor.id}/hosts/${host.id}/pull-async`,
      `/monitors/${monitor.id}/hosts/${host.id}/push-async`,
      `/monitors/${monitor.id}/hosts/${host.id}/items/pull-async`,
      `/monitors/${monitor.id}/hosts/${host.id}/items/${item.id}/pull-async`,
      `/monitors/${monitor.id}/hosts/${host.id}/items/${item.id}/push-async`,
    ];
    for (const path of paths) {
      const res = await writer.post(path);
      expect({ path, status: res.status }).toEqual({ path, status: 409 });
      expect(res.body).toEqual({
        statusCode: 409,
        error: 'Conflict',
        message:
          `Monitor ${monitor.id} is auth_failed (status 4): ${REFUSED}. No task runs on it until its credentials ` +
          `change (PATCH /monitors/${monitor.id}) or a synchronous sync or check logs in`,
      });
    }
    const retry = await writer.post(`/queue/dead/${task.task_id}/retry`);
    expect(retry.status).toBe(409);
    expect(retry.body.message).toContain(`Monitor ${monitor.id} is auth_failed (status 4)`);
    expect(jobTotal(await queueDetail(t.http, token))).toBe(before);
    expect(fake.calls('user.login')).toHaveLength(1);
  });

  it('lets a synchronous pull and a check try again (one login each), and keeps the status while refused', async () => {
    const { fake, monitor } = await refusedMonitor();
    const pull = await writer.post(`/monitors/${monitor.id}/hosts/pull`);
    expect(pull.status).toBe(502);
    expect(pull.body.message).toBe(REFUSED);
    const check = await writer.post(`/monitors/${monitor.id}/check`);
    expect(check.body).toMatchObject({ status: SyncStatus.AuthFailed, status_description: REFUSED });
    expect(fake.calls('user.login')).toHaveLength(3);
  });

  it('clears auth_failed when the credentials change, and queues pulls again', async () => {
    const { fake, monitor } = await refusedMonitor();
    const renamed = await writer.patch(`/monitors/${monitor.id}`, { name: `${monitor.name}-renamed` });
    expect(renamed.body.status).toBe(SyncStatus.AuthFailed);

    const fixed = await writer.patch(`/monitors/${monitor.id}`, { password: fake.password });
    expect(fixed.status).toBe(200);
    expect(fixed.body).toMatchObject({
      status: SyncStatus.Inactive,
      status_description: 'Credentials changed; not tried yet',
    });
    const queued = await writer.post(`/monitors/${monitor.id}/hosts/pull-async`);
    expect(queued.status).toBe(202);
    expect(await waitForTask(t.http, token, queued.body.task_id, 'completed', 20_000)).toMatchObject({
      attempts_made: 1,
    });
    expect((await admin.get(`/monitors/${monitor.id}`)).body.status).toBe(SyncStatus.Active);
  });

  it('makes a monitor active again when an operator sync gets in (the account was only blocked)', async () => {
    const fake = await fakeZabbix();
    const monitor = await createMonitor(writer, { url: fake.url, password: fake.password });
    const host = await seed.syncedHost(monitor.id);
    await seed.monitors.update({ id: monitor.id }, { status: SyncStatus.AuthFailed, statusDescription: REFUSED });
    expect((await writer.post(`/monitors/${monitor.id}/hosts/${host.id}/items/pull-async`)).status).toBe(409);

    expect((await writer.post(`/monitors/${monitor.id}/hosts/${host.id}/items/pull`)).status).toBe(200);
    expect((await admin.get(`/monitors/${monitor.id}`)).body).toMatchObject({
      status: SyncStatus.Active,
      status_description: 'The monitor accepted its credentials again',
    });
    expect((await writer.post(`/monitors/${monitor.id}/hosts/${host.id}/items/pull-async`)).status).toBe(202);
  });

  it('reports an account Zabbix says is blocked as blocked: status error, one attempt, not auth_failed', async () => {
    const fake = await fakeZabbix();
    fake.raw((_request, response, body) => {
      const { method, id } = JSON.parse(body) as { method: string; id: number };
      const reply =
        method === 'apiinfo.version'
          ? { result: '5.0.40' }
          : { error: { code: -32500, message: 'Application error.', data: 'Account is blocked for 28 seconds.' } };
      response
        .writeHead(200, { 'Content-Type': 'application/json' })
        .end(JSON.stringify({ jsonrpc: '2.0', ...reply, id }));
    });
    const monitor = await createMonitor(writer, { url: fake.url });
    const reason = 'Monitor account is temporarily blocked after failed logins: Account is blocked for 28 seconds.';
    const queued = await writer.post(`/monitors/${monitor.id}/hosts/pull-async`);
    const task = await waitForTask(t.http, token, queued.body.task_id, 'dead', 20_000);
    expect(task).toMatchObject({ error: reason, attempts_made: 1 });
    expect((await admin.get(`/monitors/${monitor.id}`)).body).toMatchObject({
      status: SyncStatus.Error,
      status_description: reason,
    });
    // Not auth_failed: a later request is queued (the block lapses on its own).
    expect((await writer.post(`/monitors/${monitor.id}/hosts/pull-async`)).status).toBe(202);
  });

  it('answered every request with a status and a body its OpenAPI document gives', () => {
    expect(documented.checked).toBeGreaterThan(20);
    expect(documented.problems()).toEqual([]);
  });
});
