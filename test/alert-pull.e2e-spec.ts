import request from 'supertest';
import type { Repository } from 'typeorm';
import { Alert } from '../src/alerts/entities/alert.entity';
import { SyncStatus } from '../src/monitors/entities/sync-status';
import { DocumentedResponses } from './support/documented-responses';
import {
  API,
  type Api,
  apiAs,
  createMonitor,
  seeder,
  tokenWithPrivilege,
  unreachableUrl,
} from './support/inventory-factory';
import { queueStats } from './support/queue-helpers';
import { startTestApp, type TestApp } from './support/test-app';
import { FakeRpcError, FakeZabbix } from './support/zabbix';

/** A problem as problem.get answers it, and its trigger's host and item. */
interface FakeProblem {
  eventid: string;
  objectid: string;
  name: string;
  severity: string;
  acknowledged: string;
  clock: string;
  hostid: string;
  itemid: string;
}

/*
 * The alert pull's routes and mapping against a fake Zabbix (the real thing: test/zabbix/problem-alerts.contract-spec.ts):
 * what the routes refuse (401, 403, 400, 404, 409, 502) without touching any alert, severities and links, and
 * resolution through event.get. An API-only process: tasks are queued, not run.
 */
describe('alert pull (e2e)', () => {
  let t: TestApp;
  let documented: DocumentedResponses;
  let token: string;
  let api: Api;
  let alerts: Repository<Alert>;
  let fake: FakeZabbix;
  let monitorId: number;
  let hostId: number;
  let itemId: number;
  let problems: FakeProblem[];
  /** event.get's answers: problem event → recovery event id ('0' while open), and recovery event → clock. */
  let recoveries: Map<string, string>;
  let clocks: Map<string, string>;

  const problem = (eventid: string, overrides: Partial<FakeProblem> = {}): FakeProblem => ({
    eventid,
    objectid: `t${eventid}`,
    name: `Problem ${eventid}`,
    severity: '4',
    acknowledged: '0',
    clock: '1765000000',
    hostid: '10501',
    itemid: '40001',
    ...overrides,
  });
  const pull = (id = monitorId) => api.post(`/monitors/${id}/alerts/pull`);
  const byEvent = async (eventId: string) => alerts.findOneByOrFail({ externalId: eventId });

  beforeAll(async () => {
    t = await startTestApp({ NAGARE_ROLE: 'api' });
    documented = await DocumentedResponses.watch(t.http);
    token = await t.login();
    api = apiAs(t, token);
    alerts = seeder(t).data.getRepository(Alert);
    fake = await FakeZabbix.start();
    fake.on('problem.get', () => problems.map(({ hostid: _h, itemid: _i, ...rest }) => rest));
    fake.on('trigger.get', (req) =>
      problems
        .filter((p) => (req.params.triggerids as string[]).includes(p.objectid))
        .map((p) => ({ triggerid: p.objectid, hosts: [{ hostid: p.hostid }], items: [{ itemid: p.itemid }] })),
    );
    fake.on('event.get', (req) =>
      (req.params.eventids as string[]).flatMap((eventid): Record<string, string>[] => {
        const recovery = recoveries.get(eventid);
        if (recovery !== undefined) return [{ eventid, r_eventid: recovery }];
        const clock = clocks.get(eventid);
        if (clock !== undefined) return [{ eventid, clock }];
        return [];
      }),
    );
    fake.on('event.acknowledge', () => ({ eventids: [] }));
    monitorId = (await createMonitor(api, { url: fake.url, password: 'fake-zabbix-password' })).id;
    const seed = seeder(t);
    const host = await seed.syncedHost(monitorId, { externalId: '10501' });
    hostId = host.id;
    itemId = (await seed.syncedItem(host, { externalId: '40001' })).id;
  });
  beforeEach(() => {
    problems = [];
    recoveries = new Map();
    clocks = new Map();
  });
  afterAll(async () => {
    await t.close();
    await fake.close();
  });

  describe('refusals, which touch no alert', () => {
    it('answers 401 without a token', async () => {
      for (const path of ['pull', 'pull-async']) {
        const res = await request(t.http).post(`${API}/monitors/${monitorId}/alerts/${path}`);
        expect(res.status).toBe(401);
      }
    });

    it('answers 403 to a privilege-1 user', async () => {
      const reader = apiAs(t, await tokenWithPrivilege(t, api, 1));
      for (const path of ['pull', 'pull-async']) {
        expect((await reader.post(`/monitors/${monitorId}/alerts/${path}`)).status).toBe(403);
      }
    });

    it('answers 400 naming id for an id that is not one', async () => {
      for (const path of ['pull', 'pull-async']) {
        const res = await api.post(`/monitors/abc/alerts/${path}`);
        expect(res.status).toBe(400);
        expect(JSON.stringify(res.body.message)).toContain('id');
      }
    });

    it('answers 404 for an unknown monitor, queuing nothing', async () => {
      const before = await queueStats(t.http, token);
      for (const path of ['pull', 'pull-async']) {
        const res = await api.post(`/monitors/999999/alerts/${path}`);
        expect(res.status).toBe(404);
        expect(res.body.message).toBe('Monitor 999999 not found');
      }
      expect(await queueStats(t.http, token)).toEqual(before);
    });

    it('answers 409 for a disabled monitor', async () => {
      const disabled = await createMonitor(api, { url: fake.url, enabled: false });
      for (const path of ['pull', 'pull-async']) {
        expect((await api.post(`/monitors/${disabled.id}/alerts/${path}`)).status).toBe(409);
      }
    });

    it('answers 502 for a monitor that cannot be reached, which then is in status 2', async () => {
      const count = await alerts.count();
      const unreachable = await createMonitor(api, { url: await unreachableUrl() });
      const res = await pull(unreachable.id);
      expect(res.status).toBe(502);
      expect((await api.get(`/monitors/${unreachable.id}`)).body.status).toBe(SyncStatus.Error);
      expect(await alerts.count()).toBe(count);
    });
  });

  describe('the pull', () => {
    it('maps severities 0–1 → 0, 2–3 → 1, 4 → 2, 5 → 3, links known hosts and items, keeps acknowledged', async () => {
      const severities = ['0', '1', '2', '3', '4', '5'];
      problems = severities.map((severity) => problem(`10${severity}`, { severity }));
      problems.push(problem('107', { hostid: '99999', itemid: '99998', acknowledged: '1' }));
      expect((await pull()).body).toEqual({ added: 7, updated: 0, resolved: 0, total: 7 });

      const mapped = await Promise.all(severities.map((severity) => byEvent(`10${severity}`)));
      expect(mapped.map((alert) => alert.severity)).toEqual([0, 0, 1, 1, 2, 3]);
      expect(mapped[0]).toMatchObject({ hostId, itemId, status: 0, message: 'Problem 100', source: 'zabbix' });
      expect(mapped[0].createdAt.toISOString()).toBe('2025-12-06T05:46:40.000Z');
      expect(await byEvent('107')).toMatchObject({ hostId: null, itemId: null, status: 1, acknowledgedBy: null });
    });

    it('changes nothing the second time, and updates what changed on the monitor', async () => {
      problems = [problem('201'), problem('202')];
      expect((await pull()).body).toMatchObject({ added: 2 });
      expect((await pull()).body).toEqual({ added: 0, updated: 0, resolved: 0, total: 2 });
      problems[0] = problem('201', { name: 'Renamed', severity: '5', acknowledged: '1' });
      expect((await pull()).body).toEqual({ added: 0, updated: 1, resolved: 0, total: 2 });
      expect(await byEvent('201')).toMatchObject({ message: 'Renamed', severity: 3, status: 1 });
    });

    it('resolves the alerts of closed problems at their recovery time; an event Zabbix no longer has, now', async () => {
      problems = [problem('301'), problem('302'), problem('303')];
      await pull();
      problems = [problem('303')];
      recoveries.set('301', '3010').set('302', '0');
      clocks.set('3010', '1765000100');
      const started = Date.now();
      // 302 is not reported but still open on Zabbix (r_eventid 0): left open. Older alerts' events are unknown.
      const res = await pull();
      expect(res.body.total).toBe(1);
      expect(await byEvent('301')).toMatchObject({ status: 2, resolvedBy: null });
      expect((await byEvent('301')).resolvedAt!.toISOString()).toBe('2025-12-06T05:48:20.000Z');
      expect((await byEvent('302')).status).toBe(0);
      const gone = await byEvent('201');
      expect(gone.status).toBe(2);
      expect(gone.resolvedAt!.getTime()).toBeGreaterThanOrEqual(started - 1000);
      expect((await pull()).body.resolved).toBe(0);
    });

    it('answers 502 with the reason when Zabbix refuses the call, writing nothing', async () => {
      const count = await alerts.count();
      fake.on('problem.get', () => {
        throw new FakeRpcError('No permissions to referred object or it does not exist!');
      });
      try {
        const res = await pull();
        expect(res.status).toBe(502);
        expect(res.body.message).toContain('No permissions');
      } finally {
        fake.on('problem.get', () => problems.map(({ hostid: _h, itemid: _i, ...rest }) => rest));
      }
      expect(await alerts.count()).toBe(count);
    });
  });

  describe('pull-async', () => {
    it('answers 202 with the task, and returns the waiting one instead of queuing another', async () => {
      const first = await api.post(`/monitors/${monitorId}/alerts/pull-async`);
      expect(first.status).toBe(202);
      expect(first.body).toEqual({
        message: 'Alert pull task queued',
        task_id: expect.stringMatching(/^pull_alerts:\d+$/),
        monitor_id: monitorId,
      });
      const second = await api.post(`/monitors/${monitorId}/alerts/pull-async`);
      expect(second.body).toEqual({ ...first.body, deduplicated: true });
      expect((await queueStats(t.http, token)).pull_alerts).toBe(1);
    });
  });

  describe('acknowledging and resolving a zabbix alert', () => {
    it('queues an acknowledge_alert task for an acknowledgement made here', async () => {
      problems = [problem('401')];
      await pull();
      const alert = await byEvent('401');
      const res = await api.patch(`/alerts/${alert.id}`, { status: 1 });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ status: 1, acknowledged_by: 'admin' });
      expect((await queueStats(t.http, token)).acknowledge_alert).toBe(1);
      // Asked again (after a 503, say): the waiting task is returned, not doubled.
      expect((await api.patch(`/alerts/${alert.id}`, { status: 1 })).status).toBe(200);
      expect((await queueStats(t.http, token)).acknowledge_alert).toBe(1);
    });

    it('answers 409 to resolving it here, and leaves it as it was', async () => {
      problems = [problem('402')];
      await pull();
      const alert = await byEvent('402');
      const res = await api.patch(`/alerts/${alert.id}`, { status: 2 });
      expect(res.status).toBe(409);
      expect(res.body.message).toBe(
        `Alert ${alert.id} is a problem on monitor ${monitorId}: it is resolved there, not here`,
      );
      expect((await byEvent('402')).status).toBe(0);
    });

    it('follows an acknowledgement Zabbix undoes, but keeps one made in Nagare', async () => {
      problems = [problem('411', { acknowledged: '1' }), problem('412')];
      expect((await pull()).body).toMatchObject({ added: 2 });
      const mine = await byEvent('412');
      expect((await api.patch(`/alerts/${mine.id}`, { status: 1 })).status).toBe(200);

      problems = [problem('411'), problem('412')];
      expect((await pull()).body).toEqual({ added: 0, updated: 1, resolved: 0, total: 2 });
      expect(await byEvent('411')).toMatchObject({ status: 0, acknowledgedBy: null, acknowledgedAt: null });
      expect(await byEvent('412')).toMatchObject({ status: 1, acknowledgedBy: 'admin' });
      expect((await pull()).body.updated).toBe(0);
    });
  });

  it('answered every request of this suite with a status and a body its OpenAPI document gives', () => {
    expect(documented.checked).toBeGreaterThan(10);
    expect(documented.problems()).toEqual([]);
  });
});
