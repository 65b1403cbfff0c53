import { jest } from '@jest/globals';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { AlertEvents } from '../../src/alerts/events/alert-events.service';
import type { ZabbixEventDto } from '../../src/alerts/events/zabbix-event.dto';
import { type Api, apiAs } from '../support/inventory-factory';
import { startTestApp, type TestApp } from '../support/test-app';
import { describeZabbix, eventually, runId, ZabbixApi } from '../support/zabbix';
import { ZabbixProblemFixture } from '../support/zabbix-problem-fixture';

const MEDIA_TYPE_FILE = join(process.cwd(), 'deploy', 'zabbix', 'nagare-media-type.json');

/*
 * The webhook media type shipped in deploy/zabbix, imported as the frontend imports it (configuration.import), on
 * a real zabbix_server: value 9 → the problem reaches Nagare through the media type alone (nothing pulls here: an
 * API-only process, no schedule), an acknowledgement on Zabbix and its undoing reach it as updates, value 1 → its
 * recovery resolves the alert; each at its time on Zabbix. Nagare listens on 127.0.0.1. The media type, the action and
 * the user (with its media) are this run's and deleted afterwards.
 */
describeZabbix('problems reach Nagare through the webhook media type alone (contract)', (env) => {
  const run = runId();
  let zabbix: ZabbixApi;
  let fixture: ZabbixProblemFixture;
  let trapperPort: number;
  let t: TestApp;
  let api: Api;
  let monitorId: number;
  let localHostId: number;
  const created = { mediaTypeId: '', actionId: '' };
  /** The events the media type posted, as Nagare took them. */
  let received: () => ZabbixEventDto[];
  const nowSeconds = () => Math.floor(Date.now() / 1000);

  const zabbixAlerts = async () => (await api.get('/alerts', { source: 'zabbix' })).body;
  const score = async () => (await api.get('/alerts/score')).body.score as number;
  /** Zabbix's own record of the deliveries (alert.get), to say why when an event did not arrive. */
  const deliveries = () =>
    zabbix.call<unknown[]>('alert.get', { actionids: [created.actionId], output: ['status', 'error', 'retries'] });

  /** {EVENT.AGE} as Zabbix expanded it for each update it delivered (the update operation's message). */
  async function updateAges(): Promise<string[]> {
    const sent = await zabbix.call<{ subject: string; message: string }[]>('alert.get', {
      actionids: [created.actionId],
      output: ['subject', 'message'],
    });
    return sent.filter((alert) => alert.subject === 'age').map((alert) => alert.message);
  }

  async function importMediaType(eventsUrl: string, token: string): Promise<void> {
    const doc = JSON.parse(readFileSync(MEDIA_TYPE_FILE, 'utf8'));
    const name = `Nagare ${run}`;
    doc.zabbix_export.media_types[0].name = name;
    await zabbix.call('configuration.import', {
      format: 'json',
      source: JSON.stringify(doc),
      rules: { mediaTypes: { createMissing: true, updateExisting: false } },
    });
    const [mediaType] = await zabbix.call<{ mediatypeid: string; parameters: { name: string; value: string }[] }[]>(
      'mediatype.get',
      { filter: { name: [name] }, output: 'extend' },
    );
    created.mediaTypeId = mediaType.mediatypeid;
    const parameters = mediaType.parameters.map(({ name: key, value }) => ({
      name: key,
      value: key === 'token' ? token : value,
    }));
    await zabbix.call('mediatype.update', { mediatypeid: created.mediaTypeId, parameters });
    await zabbix.call('user.update', {
      userid: fixture.userId,
      // Zabbix writes the event's date and time in this user's zone: the media type must find UTC all the same.
      timezone: 'Asia/Kolkata',
      medias: [
        { mediatypeid: created.mediaTypeId, sendto: eventsUrl, active: 0, severity: 63, period: '1-7,00:00-24:00' },
      ],
    });
  }

  async function createAction(): Promise<void> {
    const message = { default_msg: 1, mediatypeid: created.mediaTypeId };
    const { actionids } = await zabbix.call<{ actionids: string[] }>('action.create', {
      name: `Nagare alerts ${run}`,
      eventsource: 0,
      status: 0,
      esc_period: '1h',
      filter: { evaltype: 0, conditions: [{ conditiontype: 0, operator: 0, value: fixture.groupId }] },
      operations: [{ operationtype: 0, opmessage: message, opmessage_usr: [{ userid: fixture.userId }] }],
      recovery_operations: [{ operationtype: 11, opmessage: { default_msg: 1 } }],
      // The webhook reads its parameters only; this message shows what Zabbix makes of {EVENT.AGE} in an update.
      update_operations: [{ operationtype: 12, opmessage: { default_msg: 0, subject: 'age', message: '{EVENT.AGE}' } }],
    });
    created.actionId = actionids[0];
  }

  beforeAll(async () => {
    if (env.trapperPort === null) {
      throw new Error('ZABBIX_TRAPPER_PORT is not set: the scripts that bring Zabbix up print it beside ZABBIX_URL');
    }
    trapperPort = env.trapperPort;
    zabbix = await ZabbixApi.login(env);
    fixture = new ZabbixProblemFixture(zabbix, run);
    await fixture.create();

    t = await startTestApp({ NAGARE_ROLE: 'api' });
    await new Promise<void>((resolve) => t.http.listen(0, '127.0.0.1', resolve));
    const { port } = t.http.address() as AddressInfo;
    api = apiAs(t, await t.login());
    const handle = jest.spyOn(t.app.get(AlertEvents), 'handle');
    received = () => handle.mock.calls.map(([, event]) => event);
    const monitor = await api.post('/monitors', {
      name: `Nagare media ${run}`,
      url: env.url,
      type: 'zabbix',
      username: fixture.user.username,
      password: fixture.user.password,
    });
    monitorId = monitor.body.id;
    expect((await api.post(`/monitors/${monitorId}/hosts/pull`)).body).toMatchObject({ added: 1 });
    localHostId = (await api.get(`/monitors/${monitorId}/hosts`)).body.items[0].id;
    const token = (await api.post(`/monitors/${monitorId}/event-token`)).body.event_token as string;

    await importMediaType(`http://127.0.0.1:${port}/api/v1/monitors/${monitorId}/events`, token);
    await createAction();
    // The server takes actions from its configuration cache, refreshed every 5 s (scripts/zabbix-conf.sh): a
    // problem raised before the action reached it would notify no one.
    await new Promise((resolve) => setTimeout(resolve, 6_000));
  }, 60_000);

  afterAll(async () => {
    await t?.close();
    if (!fixture) return;
    if (created.actionId) await zabbix.call('action.delete', [created.actionId]);
    const left = await fixture.remove();
    if (created.mediaTypeId) await zabbix.call('mediatype.delete', [created.mediaTypeId]);
    const mediaTypes = await zabbix.call<unknown[]>('mediatype.get', { filter: { name: [`Nagare ${run}`] } });
    await zabbix.close();
    expect({ ...left, mediaTypes }).toEqual({ hosts: [], users: [], mediaTypes: [] });
  });

  it('imports as a webhook with the parameters it needs', async () => {
    const [mediaType] = await zabbix.call<{ type: string; status: string }[]>('mediatype.get', {
      mediatypeids: [created.mediaTypeId],
      output: ['type', 'status'],
    });
    expect(mediaType).toMatchObject({ type: '4', status: '0' });
  });

  it('brings a problem to Nagare within 30 s as a critical alert on the host, and the score drops', async () => {
    expect(await score()).toBe(100);
    const sentAt = Date.now();
    const [problem] = await eventually('a value of 9 to raise a problem', async () => {
      if ((await fixture.send(trapperPort, 9)).processed !== 1) return undefined;
      const open = await fixture.openProblems();
      return open.length > 0 ? open : undefined;
    });
    const raisedAt = Date.now();
    const alert = await eventually(
      'the problem to reach Nagare through the media type',
      async () => (await zabbixAlerts()).items[0],
      30_000,
    ).catch(async (error: Error) => {
      throw new Error(`${error.message}; Zabbix's deliveries: ${JSON.stringify(await deliveries())}`);
    });
    console.log(
      `media type: problem raised ${raisedAt - sentAt} ms after the first value, in Nagare after ${Date.now() - raisedAt} ms`,
    );
    expect(alert).toMatchObject({
      message: fixture.triggerName,
      severity: 2,
      status: 0,
      source: 'zabbix',
      monitor_id: monitorId,
      external_id: problem.eventid,
      host_id: localHostId,
      // The alert began when the problem did on Zabbix (the media type's clock), not when the event arrived.
      created_at: new Date(Number(problem.clock) * 1000).toISOString(),
    });
    expect(await score()).toBe(46);
    // What it says is as of when Zabbix made the alert: in UTC, though Zabbix wrote it in the user's zone.
    const [posted] = received().filter((event) => event.kind === 'problem');
    expect(posted.as_of).toBeGreaterThanOrEqual(Number(problem.clock));
    expect(posted.as_of).toBeLessThanOrEqual(nowSeconds());
  }, 90_000);

  it('brings an acknowledgement on Zabbix and its undoing as updates, each as of when Zabbix made its alert', async () => {
    const [{ external_id: eventId }] = (await zabbixAlerts()).items;
    const acknowledgeOnZabbix = (action: number) =>
      zabbix.call('event.acknowledge', { eventids: [eventId], action, message: `Nagare media ${run}` });
    const statusInNagare = (wanted: number) =>
      eventually(
        `the alert to reach status ${wanted} through the media type`,
        async () => ((await zabbixAlerts()).items[0]?.status === wanted ? true : undefined),
        30_000,
      );
    const before = nowSeconds();
    await acknowledgeOnZabbix(2 | 4);
    await statusInNagare(1);
    await acknowledgeOnZabbix(16 | 4);
    await statusInNagare(0);
    const updates = received().filter((event) => event.kind === 'update');
    expect(updates.map((event) => event.acknowledged)).toEqual(expect.arrayContaining([true, false]));
    const [problem] = received().filter((event) => event.kind === 'problem');
    for (const update of updates) {
      expect(update.as_of).toBeGreaterThanOrEqual(before);
      expect(update.as_of).toBeLessThanOrEqual(nowSeconds());
      // When the problem began, dated through {EVENT.AGE} (the problem's age, in an update too).
      expect(update.clock).toBe(problem.clock);
    }
    // Zabbix expands {EVENT.AGE} in a form the script reads: `1d 2h 3m 4s` (6.0, 7.0) or `1d 2h 3m` (earlier).
    const ages = await updateAges();
    expect(ages).toHaveLength(updates.length);
    for (const age of ages) expect(age).toMatch(/^(\d+d )?(\d+h )?(\d+m ?)?(\d+s)?$/);
    for (const age of ages) expect(age).toMatch(/\d/);
    console.log(`media type: {EVENT.AGE} in the updates: ${ages.join(', ')}`);
  }, 90_000);

  it('resolves the alert through the media type once the value falls, and the score comes back', async () => {
    expect((await fixture.send(trapperPort, 1)).processed).toBe(1);
    const alert = await eventually(
      'the recovery to reach Nagare through the media type',
      async () => {
        const [found] = (await zabbixAlerts()).items;
        return found?.status === 2 ? found : undefined;
      },
      30_000,
    );
    // Resolved when Zabbix closed the problem.
    const recoveredAt = await fixture.recoveredAt(alert.external_id);
    expect(recoveredAt).toBeDefined();
    expect(alert.resolved_at).toBe(new Date(recoveredAt! * 1000).toISOString());
    expect(await score()).toBe(100);
    expect((await zabbixAlerts()).total).toBe(1);
  }, 60_000);
});
