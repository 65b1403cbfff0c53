import request from 'supertest';
import type { Repository } from 'typeorm';
import { Alert } from '../src/alerts/entities/alert.entity';
import { Monitor } from '../src/monitors/entities/monitor.entity';
import { DocumentedResponses } from './support/documented-responses';
import { API, type Api, apiAs, createMonitor, seeder, tokenWithPrivilege } from './support/inventory-factory';
import { startTestApp, type TestApp } from './support/test-app';

/*
 * Problems in real time: the event token (made, shown once, stored hashed, rotated) and POST /monitors/:id/events,
 * which only that token opens, handling problem, update and recovery events idempotently by event id and refusing
 * a bad token or an unknown monitor (401, not told apart) and a malformed event (400) without touching any alert.
 */
describe('alert events (e2e)', () => {
  let t: TestApp;
  let documented: DocumentedResponses;
  let userToken: string;
  let api: Api;
  let alerts: Repository<Alert>;
  let monitors: Repository<Monitor>;
  let monitorId: number;
  let eventToken: string;
  let hostId: number;

  const post = (body: object, token = eventToken, id: number | string = monitorId) =>
    request(t.http).post(`${API}/monitors/${id}/events`).set('Authorization', `Bearer ${token}`).send(body);
  const problem = (eventId: string, overrides: object = {}) => ({
    event_id: eventId,
    kind: 'problem',
    name: `Problem ${eventId}`,
    severity: 4,
    host_id: '10601',
    ...overrides,
  });

  beforeAll(async () => {
    t = await startTestApp({ NAGARE_ROLE: 'api' });
    documented = await DocumentedResponses.watch(t.http);
    userToken = await t.login();
    api = apiAs(t, userToken);
    const seed = seeder(t);
    alerts = seed.data.getRepository(Alert);
    monitors = seed.data.getRepository(Monitor);
    monitorId = (await createMonitor(api)).id;
    hostId = (await seed.syncedHost(monitorId, { externalId: '10601' })).id;
    const res = await api.post(`/monitors/${monitorId}/event-token`);
    expect(res.status).toBe(201);
    eventToken = res.body.event_token;
  });
  afterAll(() => t.close());

  describe('POST /monitors/:id/event-token', () => {
    it('makes a token shown once and stores only its SHA-256', async () => {
      const other = await createMonitor(api);
      const res = await api.post(`/monitors/${other.id}/event-token`);
      expect(res.status).toBe(201);
      expect(res.body).toEqual({ monitor_id: other.id, event_token: expect.stringMatching(/^nge_[\w-]{43}$/) });
      const stored = await monitors.findOneByOrFail({ id: other.id });
      expect(stored.eventTokenHash).toMatch(/^[0-9a-f]{64}$/);
      expect(JSON.stringify(stored)).not.toContain(res.body.event_token);
      expect((await api.get(`/monitors/${other.id}`)).text).not.toContain(res.body.event_token);
    });

    it('rotates: the new token works and the old one no longer does', async () => {
      const other = await createMonitor(api);
      const first = (await api.post(`/monitors/${other.id}/event-token`)).body.event_token;
      const second = (await api.post(`/monitors/${other.id}/event-token`)).body.event_token;
      expect(second).not.toBe(first);
      expect((await post(problem('9001'), first, other.id)).status).toBe(401);
      expect((await post(problem('9001'), second, other.id)).status).toBe(200);
    });

    it('needs privilege 2 (403 for 1, 401 without a token) and a known monitor (404)', async () => {
      const reader = apiAs(t, await tokenWithPrivilege(t, api, 1));
      expect((await reader.post(`/monitors/${monitorId}/event-token`)).status).toBe(403);
      expect((await request(t.http).post(`${API}/monitors/${monitorId}/event-token`)).status).toBe(401);
      expect((await api.post('/monitors/999999/event-token')).status).toBe(404);
    });
  });

  describe('POST /monitors/:id/events', () => {
    it('adds an alert for a problem, linked to its host, and answers within 100 ms', async () => {
      const started = performance.now();
      const res = await post(problem('5001'));
      const took = performance.now() - started;
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ event_id: '5001', outcome: 'added', alert_id: expect.any(Number) });
      expect(took).toBeLessThan(100);
      expect(await alerts.findOneByOrFail({ id: res.body.alert_id })).toMatchObject({
        source: 'zabbix',
        monitorId,
        externalId: '5001',
        message: 'Problem 5001',
        severity: 2,
        status: 0,
        hostId,
      });
    });

    it('is idempotent by event id: the same problem again changes nothing', async () => {
      const first = await post(problem('5002'));
      const again = await post(problem('5002'));
      expect(again.body).toEqual({ event_id: '5002', outcome: 'unchanged', alert_id: first.body.alert_id });
      expect(await alerts.countBy({ externalId: '5002' })).toBe(1);
    });

    it('takes an update (acknowledged on Zabbix), then a recovery, each once', async () => {
      const { alert_id } = (await post(problem('5003'))).body;
      const update = await post(problem('5003', { kind: 'update', acknowledged: true }));
      expect(update.body).toEqual({ event_id: '5003', outcome: 'updated', alert_id });
      expect(await alerts.findOneByOrFail({ id: alert_id })).toMatchObject({ status: 1, acknowledgedBy: null });

      const recovery = await post({ event_id: '5003', kind: 'recovery' });
      expect(recovery.body).toEqual({ event_id: '5003', outcome: 'resolved', alert_id });
      const resolved = await alerts.findOneByOrFail({ id: alert_id });
      expect(resolved.status).toBe(2);
      expect(resolved.resolvedAt).not.toBeNull();
      expect((await post({ event_id: '5003', kind: 'recovery' })).body.outcome).toBe('unchanged');
      // A late problem event for a closed one does not reopen it.
      expect((await post(problem('5003'))).body.outcome).toBe('unchanged');
    });

    it('takes an acknowledgement Zabbix undid; an update without the field leaves it as it is', async () => {
      const { alert_id } = (await post(problem('5005', { kind: 'update', acknowledged: true }))).body;
      expect(await alerts.findOneByOrFail({ id: alert_id })).toMatchObject({ status: 1, acknowledgedBy: null });
      expect((await post(problem('5005', { kind: 'update' }))).body.outcome).toBe('unchanged');
      expect((await alerts.findOneByOrFail({ id: alert_id })).status).toBe(1);

      const undone = await post(problem('5005', { kind: 'update', acknowledged: false }));
      expect(undone.body).toEqual({ event_id: '5005', outcome: 'updated', alert_id });
      expect(await alerts.findOneByOrFail({ id: alert_id })).toMatchObject({ status: 0, acknowledgedAt: null });
      expect((await post(problem('5005', { kind: 'update' }))).body.outcome).toBe('unchanged');
      await post({ event_id: '5005', kind: 'recovery' });
    });

    it('keeps the times the events happened on Zabbix (clock), not the times they arrived', async () => {
      const began = Math.floor(Date.now() / 1000) - 600;
      const { alert_id } = (await post(problem('5006', { clock: began }))).body;
      const stored = async () => (await api.get(`/alerts/${alert_id}`)).body;
      expect((await stored()).created_at).toBe(new Date(began * 1000).toISOString());
      // An update carries the problem's own time: it changes nothing of it.
      await post(problem('5006', { kind: 'update', acknowledged: true, clock: began }));
      expect((await stored()).created_at).toBe(new Date(began * 1000).toISOString());

      expect((await post({ event_id: '5006', kind: 'recovery', clock: began + 120 })).body.outcome).toBe('resolved');
      expect(await stored()).toMatchObject({
        status: 2,
        created_at: new Date(began * 1000).toISOString(),
        resolved_at: new Date((began + 120) * 1000).toISOString(),
      });
    });

    it('takes the arrival time for an event without a clock, or with one ahead of its own', async () => {
      const ahead = Math.floor(Date.now() / 1000) + 3600;
      const before = Date.now();
      const late = (await post(problem('5007', { clock: ahead }))).body.alert_id;
      const bare = (await post(problem('5008'))).body.alert_id;
      await post({ event_id: '5007', kind: 'recovery', clock: ahead });
      const after = Date.now();
      for (const id of [late, bare]) {
        const created = Date.parse((await api.get(`/alerts/${id}`)).body.created_at);
        expect(created).toBeGreaterThanOrEqual(before - 1000);
        expect(created).toBeLessThanOrEqual(after);
      }
      const resolved = Date.parse((await api.get(`/alerts/${late}`)).body.resolved_at);
      expect(resolved).toBeGreaterThanOrEqual(before - 1000);
      expect(resolved).toBeLessThanOrEqual(after);
      await post({ event_id: '5008', kind: 'recovery' });
    });

    it('undoes an acknowledgement made in Nagare when Zabbix says it undid it, once it was sent there', async () => {
      const { alert_id } = (await post(problem('5009'))).body;
      expect((await api.patch(`/alerts/${alert_id}`, { status: 1 })).body).toMatchObject({ acknowledged_by: 'admin' });
      // Its acknowledge_alert task has not run (no worker here): Zabbix cannot have undone what it never had.
      expect((await post(problem('5009', { kind: 'update', acknowledged: false }))).body.outcome).toBe('unchanged');

      const sentAt = new Date(Date.now() - 1000);
      await alerts.update({ id: alert_id }, { acknowledgementSentAt: sentAt });
      expect((await api.get(`/alerts/${alert_id}`)).body.acknowledgement_sent_at).toBe(sentAt.toISOString());
      expect((await post(problem('5009', { kind: 'update', acknowledged: false }))).body.outcome).toBe('updated');
      expect(await alerts.findOneByOrFail({ id: alert_id })).toMatchObject({
        status: 0,
        acknowledgedBy: null,
        acknowledgedAt: null,
        acknowledgementSentAt: null,
      });
      await post({ event_id: '5009', kind: 'recovery' });
    });

    it('does not undo an acknowledgement sent after Zabbix read the event (as_of), however late the event arrives', async () => {
      const { alert_id } = (await post(problem('5010'))).body;
      await api.patch(`/alerts/${alert_id}`, { status: 1 });
      const now = Math.floor(Date.now() / 1000);
      await alerts.update({ id: alert_id }, { acknowledgementSentAt: new Date((now - 30) * 1000) });
      const acknowledged = { status: 1, acknowledgedBy: 'admin', acknowledgementSentAt: expect.any(Date) };

      // An update Zabbix made a minute ago, before the acknowledgement reached it, delivered only now.
      const stale = await post(problem('5010', { kind: 'update', acknowledged: false, as_of: now - 60 }));
      expect(stale.body.outcome).toBe('unchanged');
      expect(await alerts.findOneByOrFail({ id: alert_id })).toMatchObject(acknowledged);

      // One made after it: Zabbix's operator undid it.
      const undone = await post(problem('5010', { kind: 'update', acknowledged: false, as_of: now - 5 }));
      expect(undone.body.outcome).toBe('updated');
      expect(await alerts.findOneByOrFail({ id: alert_id })).toMatchObject({ status: 0, acknowledgedBy: null });

      // An as_of ahead of Nagare's clock counts as the arrival: after the acknowledgement, so it undoes it.
      await api.patch(`/alerts/${alert_id}`, { status: 1 });
      await alerts.update({ id: alert_id }, { acknowledgementSentAt: new Date((now - 30) * 1000) });
      const ahead = await post(problem('5010', { kind: 'update', acknowledged: false, as_of: now + 3600 }));
      expect(ahead.body.outcome).toBe('updated');
      await post({ event_id: '5010', kind: 'recovery' });
    });

    it('answers a recovery of an unknown problem with no alert', async () => {
      expect((await post({ event_id: '5999', kind: 'recovery' })).body).toEqual({
        event_id: '5999',
        outcome: 'unchanged',
        alert_id: null,
      });
    });

    it('moves the score: a critical problem drops it, its recovery brings it back', async () => {
      const before = (await api.get('/alerts/score')).body.score;
      await post(problem('5004', { severity: 5 }));
      expect((await api.get('/alerts/score')).body.score).toBeLessThan(before);
      await post({ event_id: '5004', kind: 'recovery' });
      expect((await api.get('/alerts/score')).body.score).toBe(before);
    });

    describe('refusals, which touch no alert', () => {
      let count: number;
      beforeEach(async () => (count = await alerts.count()));
      afterEach(async () => expect(await alerts.count()).toBe(count));

      it('answers an unknown monitor as a wrong token: 401, so a caller cannot probe which monitors exist', async () => {
        const bare = await request(t.http).post(`${API}/monitors/999999/events`).send(problem('6001'));
        for (const res of [await post(problem('6001'), eventToken, 999999), bare]) {
          expect(res.status).toBe(401);
          expect(res.headers['www-authenticate']).toBe('Bearer realm="nagare-monitor-events"');
          expect(res.body.message).toBe('Missing or wrong event token for this monitor');
        }
      });

      it('answers 401 without a token, with a wrong one, with a user’s JWT, and with another monitor’s', async () => {
        const other = await createMonitor(api);
        const otherToken = (await api.post(`/monitors/${other.id}/event-token`)).body.event_token;
        const bare = await request(t.http).post(`${API}/monitors/${monitorId}/events`).send(problem('6002'));
        expect(bare.status).toBe(401);
        for (const token of [`${eventToken}x`, userToken, otherToken]) {
          const res = await post(problem('6002'), token);
          expect(res.status).toBe(401);
          expect(res.body.message).toBe('Missing or wrong event token for this monitor');
        }
      });

      it('answers 401 on a monitor that has no event token yet', async () => {
        const other = await createMonitor(api);
        expect((await post(problem('6003'), eventToken, other.id)).status).toBe(401);
      });

      it('answers 400 naming the id when it is not one', async () => {
        const res = await post(problem('6004'), eventToken, 'abc');
        expect(res.status).toBe(400);
        expect(JSON.stringify(res.body.message)).toContain('id must be a positive integer');
      });

      it.each([
        ['no event_id', { kind: 'problem', name: 'x', severity: 1 }, 'event_id must be a Zabbix id'],
        ['an event_id that is not an id', problem('12a'), 'event_id must be a Zabbix id'],
        ['an unknown kind', problem('6005', { kind: 'closed' }), 'kind must be one of: problem, update, recovery'],
        ['a problem with no name', problem('6006', { name: undefined }), 'name must be a string'],
        ['a severity of 6', problem('6007', { severity: 6 }), 'severity must be an integer from 0 to 5'],
        ['a host_id that is not an id', problem('6008', { host_id: 'web-01' }), 'host_id must be a Zabbix id'],
        ['a clock that is not an integer', problem('6010', { clock: '1765112531' }), 'clock must be a UNIX time'],
        ['a negative clock', problem('6011', { clock: -1 }), 'clock must be a UNIX time in seconds'],
        ['a clock past 32 bits (2038)', problem('6012', { clock: 2147483648 }), 'clock must be a UNIX time'],
        ['a null clock', problem('6013', { clock: null }), 'clock'],
        ['an as_of that is not an integer', problem('6014', { as_of: 1765112531.5 }), 'as_of must be a UNIX time'],
        ['a negative as_of', problem('6015', { as_of: -1 }), 'as_of must be a UNIX time in seconds'],
        ['an as_of past 32 bits (2038)', problem('6016', { as_of: 2147483648 }), 'as_of must be a UNIX time'],
        ['an unknown field', problem('6009', { extra: 1 }), 'property extra should not exist'],
      ])('answers 400 for %s, naming the field', async (_what, body, message) => {
        const res = await post(body);
        expect(res.status).toBe(400);
        expect(JSON.stringify(res.body.message)).toContain(message);
      });
    });
  });

  it('answered every request of this suite with a status and a body its OpenAPI document gives', () => {
    expect(documented.checked).toBeGreaterThan(10);
    expect(documented.problems()).toEqual([]);
  });
});
