import { TaskQueues } from '../../src/queue/task-queues';
import { type Api, apiAs } from '../support/inventory-factory';
import { waitForTask } from '../support/queue-helpers';
import { startTestApp, type TestApp } from '../support/test-app';
import { describeZabbix, eventually, runId, ZabbixApi } from '../support/zabbix';
import { type ZabbixProblem, ZabbixProblemFixture } from '../support/zabbix-problem-fixture';

/*
 * A real problem becomes an alert through pull_alerts (the media type is off: nothing posts events here), against
 * a real zabbix_server: value 9 on a trapper item raises a priority 4 problem, value 1 resolves it. The monitor logs
 * in as a Zabbix user of this run that sees only this run's host group, so what a pull finds is exactly this run's
 * problem. Everything created in Zabbix is deleted afterwards.
 */
describeZabbix('problems become alerts through pull_alerts (contract)', (env) => {
  const run = runId();
  let zabbix: ZabbixApi;
  let fixture: ZabbixProblemFixture;
  let trapperPort: number;
  let t: TestApp;
  let token: string;
  let api: Api;
  let monitorId: number;
  let localHostId: number;
  let localItemId: number;
  let problem: ZabbixProblem;

  const pull = () => api.post(`/monitors/${monitorId}/alerts/pull`);
  const zabbixAlerts = async () => (await api.get('/alerts', { source: 'zabbix' })).body;
  const score = async () => (await api.get('/alerts/score')).body.score as number;

  beforeAll(async () => {
    if (env.trapperPort === null) {
      throw new Error('ZABBIX_TRAPPER_PORT is not set: the scripts that bring Zabbix up print it beside ZABBIX_URL');
    }
    trapperPort = env.trapperPort;
    zabbix = await ZabbixApi.login(env);
    fixture = new ZabbixProblemFixture(zabbix, run);
    await fixture.create();

    t = await startTestApp();
    token = await t.login();
    api = apiAs(t, token);
    const monitor = await api.post('/monitors', {
      name: `Nagare alerts ${run}`,
      url: env.url,
      type: 'zabbix',
      username: fixture.user.username,
      password: fixture.user.password,
    });
    if (monitor.status !== 201) throw new Error(`creating the monitor failed: ${monitor.status} ${monitor.text}`);
    monitorId = monitor.body.id;
    const hosts = await api.post(`/monitors/${monitorId}/hosts/pull`);
    expect(hosts.body).toMatchObject({ added: 1, items: { added: 1 } });
    const [host] = (await api.get(`/monitors/${monitorId}/hosts`)).body.items;
    localHostId = host.id;
    localItemId = (await api.get(`/hosts/${localHostId}/items`)).body.items[0].id;
  }, 60_000);

  afterAll(async () => {
    await t?.close();
    if (!fixture) return;
    const left = await fixture.remove();
    await zabbix.close();
    expect(left).toEqual({ hosts: [], users: [] });
  });

  it('has no alert and a score of 100 before any problem', async () => {
    expect(await pull()).toMatchObject({ status: 200, body: { added: 0, updated: 0, resolved: 0, total: 0 } });
    expect(await score()).toBe(100);
  });

  it('pulls a priority 4 problem as one critical alert on the host and item, and the score drops', async () => {
    // New items and triggers reach the server at its configuration cache refreshes: 9 is sent until it counts.
    [problem] = await eventually('a value of 9 to raise a problem', async () => {
      const reply = await fixture.send(trapperPort, 9);
      if (reply.processed !== 1) return undefined;
      const open = await fixture.openProblems();
      return open.length > 0 ? open : undefined;
    });

    const res = await pull();
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ added: 1, updated: 0, resolved: 0, total: 1 });
    const list = await zabbixAlerts();
    expect(list.total).toBe(1);
    expect(list.items[0]).toMatchObject({
      message: fixture.triggerName,
      severity: 2,
      status: 0,
      source: 'zabbix',
      monitor_id: monitorId,
      external_id: problem.eventid,
      host_id: localHostId,
      item_id: localItemId,
      resolved_at: null,
    });
    expect(await score()).toBe(46);
  }, 90_000);

  it('changes nothing when pulled again', async () => {
    const before = await zabbixAlerts();
    expect((await pull()).body).toEqual({ added: 0, updated: 0, resolved: 0, total: 1 });
    expect(await zabbixAlerts()).toEqual(before);
  });

  it('answers 409 to resolving it here: Zabbix owns that state', async () => {
    const [alert] = (await zabbixAlerts()).items;
    const res = await api.patch(`/alerts/${alert.id}`, { status: 2 });
    expect(res.status).toBe(409);
    expect(res.body.message).toContain('resolved there, not here');
    expect((await api.get(`/alerts/${alert.id}`)).body.status).toBe(0);
  });

  it('follows an acknowledgement made on Zabbix, and Zabbix undoing it (event.acknowledge actions 2 and 16)', async () => {
    const acknowledgeOnZabbix = (action: number) =>
      zabbix.call('event.acknowledge', { eventids: [problem.eventid], action, message: `Nagare contract ${run}` });
    const acknowledgedThere = async (wanted: string) =>
      eventually(`problem.get to show acknowledged ${wanted}`, async () =>
        (await fixture.openProblems())[0]?.acknowledged === wanted ? true : undefined,
      );

    await acknowledgeOnZabbix(2 | 4);
    await acknowledgedThere('1');
    expect((await pull()).body).toEqual({ added: 0, updated: 1, resolved: 0, total: 1 });
    expect((await zabbixAlerts()).items[0]).toMatchObject({ status: 1, acknowledged_by: null });
    expect(await score()).toBe(66);

    await acknowledgeOnZabbix(16 | 4);
    await acknowledgedThere('0');
    expect((await pull()).body).toEqual({ added: 0, updated: 1, resolved: 0, total: 1 });
    expect((await zabbixAlerts()).items[0]).toMatchObject({ status: 0, acknowledged_by: null, acknowledged_at: null });
    expect(await score()).toBe(46);
  }, 60_000);

  it('acknowledges the problem on Zabbix when it is acknowledged here, naming the Nagare user', async () => {
    const [alert] = (await zabbixAlerts()).items;
    const res = await api.patch(`/alerts/${alert.id}`, { status: 1 });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 1, acknowledged_by: 'admin', acknowledgement_sent_at: null });
    const patchedAt = Date.now();

    const [acknowledged] = await eventually('problem.get to show the problem acknowledged', async () => {
      const open = await fixture.openProblems();
      return open[0]?.acknowledged === '1' ? open : undefined;
    });
    expect(acknowledged.eventid).toBe(problem.eventid);
    const [event] = await zabbix.call<{ acknowledges: { message: string; action: string }[] }[]>('event.get', {
      eventids: [problem.eventid],
      output: ['eventid'],
      select_acknowledges: ['message', 'action'],
    });
    expect(event.acknowledges.map((entry) => entry.message)).toContain('Acknowledged in Nagare by admin');
    // The alert tells when the acknowledgement reached Zabbix (once its task recorded it).
    const sentAt = await eventually('the alert to show its acknowledgement sent', async () => {
      const shown = (await api.get(`/alerts/${alert.id}`)).body.acknowledgement_sent_at as string | null;
      return shown ?? undefined;
    });
    expect(Date.parse(sentAt)).toBeGreaterThanOrEqual(patchedAt - 1000);
    expect(Date.parse(sentAt)).toBeLessThanOrEqual(Date.now());
    // Acknowledged counts half: W = 10.
    expect(await score()).toBe(66);

    // Asked again (a client retrying after a 503): the task runs again and completes against an acknowledged problem.
    expect((await api.patch(`/alerts/${alert.id}`, { status: 1 })).status).toBe(200);
    const jobs = await t.app
      .get(TaskQueues)
      .of('acknowledge_alert')
      .getJobs(['waiting', 'active', 'completed', 'failed']);
    expect(jobs).toHaveLength(2);
    const job = jobs.reduce((a, b) => (Number(a.id) > Number(b.id) ? a : b));
    const again = await waitForTask(
      t.http,
      token,
      `acknowledge_alert:${String(job.id)}`,
      ['completed', 'dead'],
      30_000,
    );
    expect(again).toMatchObject({ state: 'completed', result: { event_id: problem.eventid } });
    expect((await pull()).body).toEqual({ added: 0, updated: 0, resolved: 0, total: 1 });
  }, 60_000);

  it('follows Zabbix undoing an acknowledgement made here, once sent; acknowledged here again, it is sent again', async () => {
    const [alert] = (await zabbixAlerts()).items;
    await zabbix.call('event.acknowledge', { eventids: [problem.eventid], action: 16 | 4, message: `undo ${run}` });
    await eventually('problem.get to show the acknowledgement undone', async () =>
      (await fixture.openProblems())[0]?.acknowledged === '0' ? true : undefined,
    );
    expect((await pull()).body).toEqual({ added: 0, updated: 1, resolved: 0, total: 1 });
    expect((await api.get(`/alerts/${alert.id}`)).body).toMatchObject({
      status: 0,
      acknowledged_by: null,
      acknowledged_at: null,
      acknowledgement_sent_at: null,
    });
    expect(await score()).toBe(46);

    expect((await api.patch(`/alerts/${alert.id}`, { status: 1 })).body).toMatchObject({ status: 1 });
    await eventually('problem.get to show it acknowledged again', async () =>
      (await fixture.openProblems())[0]?.acknowledged === '1' ? true : undefined,
    );
    expect((await pull()).body).toEqual({ added: 0, updated: 0, resolved: 0, total: 1 });
    expect((await api.get(`/alerts/${alert.id}`)).body).toMatchObject({ status: 1, acknowledged_by: 'admin' });
  }, 60_000);

  it('resolves the alert once Zabbix closes the problem, at the time Zabbix closed it, and the score comes back', async () => {
    expect((await fixture.send(trapperPort, 1)).processed).toBe(1);
    await eventually('problem.get to show the problem closed', async () =>
      (await fixture.openProblems()).length === 0 ? true : undefined,
    );
    const [{ r_eventid }] = await zabbix.call<{ r_eventid: string }[]>('event.get', {
      eventids: [problem.eventid],
      output: ['r_eventid'],
    });
    const [recovery] = await zabbix.call<{ clock: string }[]>('event.get', {
      eventids: [r_eventid],
      output: ['clock'],
    });

    expect((await pull()).body).toEqual({ added: 0, updated: 0, resolved: 1, total: 0 });
    const [alert] = (await zabbixAlerts()).items;
    expect(alert).toMatchObject({ status: 2, resolved_by: null, acknowledged_by: 'admin' });
    expect(Date.parse(alert.resolved_at)).toBe(Number(recovery.clock) * 1000);
    expect(await score()).toBe(100);
    expect((await pull()).body).toEqual({ added: 0, updated: 0, resolved: 0, total: 0 });
  }, 60_000);

  it('runs the same pull as a pull_alerts task', async () => {
    const res = await api.post(`/monitors/${monitorId}/alerts/pull-async`);
    expect(res.status).toBe(202);
    expect(res.body).toEqual({
      message: 'Alert pull task queued',
      task_id: expect.stringMatching(/^pull_alerts:\d+$/),
      monitor_id: monitorId,
    });
    const task = await waitForTask(t.http, token, res.body.task_id, ['completed', 'dead'], 30_000);
    expect(task).toMatchObject({
      state: 'completed',
      params: { monitor_id: monitorId },
      result: { added: 0, updated: 0, resolved: 0, total: 0 },
    });
  }, 40_000);
});
