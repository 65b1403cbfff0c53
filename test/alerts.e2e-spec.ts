import type { Server } from 'node:http';
import request from 'supertest';
import { MoreThan, type Repository } from 'typeorm';
import { alertScore, totalWeight } from '../src/alerts/alert-score';
import { Alert } from '../src/alerts/entities/alert.entity';
import { AlertSeverity, AlertStatus } from '../src/alerts/entities/alert-levels';
import { TestAlertGenerator } from '../src/alerts/services/test-alert-generator';
import { TEST_ALERT_MESSAGES } from '../src/alerts/services/test-alert-messages';
import type { Host } from '../src/monitors/entities/host.entity';
import type { Item } from '../src/monitors/entities/item.entity';
import { SyncStatus } from '../src/monitors/entities/sync-status';
import { type Api, apiAs, createMonitor, seeder, tokenWithPrivilege, unique } from './support/inventory-factory';
import { DocumentedResponses } from './support/documented-responses';
import { ADMIN_USERNAME, startTestApp, type TestApp } from './support/test-app';
import { ISO_DATE } from './support/time';
import { messageOf } from './support/http';
import { describeListEndpoint } from './support/list-endpoint-suite';

const COMMENT = /^Auto-generated test alert #(\d+) at (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)$/;
const COUNT_MESSAGE = 'count must be an integer from 1 to 100';
const TASK_DEADLINE_MS = 15_000;

/** The 400 message of the ValidationPipe (a list) or of a domain error (a string), as one text to search. */

interface AlertJson {
  id: number;
  message: string;
  severity: AlertSeverity;
  status: AlertStatus;
  host_id: number | null;
  item_id: number | null;
  comment: string;
  acknowledged_by: string | null;
  acknowledged_at: string | null;
  acknowledgement_sent_at: string | null;
  resolved_by: string | null;
  resolved_at: string | null;
  created_at: string;
  updated_at: string;
}

interface AlertBody {
  message: string;
  severity: AlertSeverity;
  host_id?: number;
  item_id?: number;
  comment?: string;
}

/** Creates an alert through the API and returns its response body. */
async function createAlert(api: Api, overrides: Partial<AlertBody> = {}): Promise<AlertJson> {
  const res = await api.post('/alerts', {
    message: `alert-${unique()}`,
    severity: AlertSeverity.Warning,
    ...overrides,
  });
  if (res.status !== 201) throw new Error(`creating an alert failed: ${res.status} ${res.text}`);
  return res.body as AlertJson;
}

/** Polls GET /tasks/:task_id until the task has ended; returns its last status. */
async function waitForTask(http: Server, token: string, taskId: string): Promise<{ state: string; result: unknown }> {
  const deadline = Date.now() + TASK_DEADLINE_MS;
  for (;;) {
    const res = await request(http).get(`/api/v1/tasks/${taskId}`).set('Authorization', `Bearer ${token}`);
    expect(res.status).toBe(200);
    if (['completed', 'failed', 'dead'].includes(res.body.state)) return res.body;
    if (Date.now() > deadline) throw new Error(`task ${taskId} still ${res.body.state} after ${TASK_DEADLINE_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('alerts (e2e)', () => {
  let t: TestApp;
  let documented: DocumentedResponses;
  let token: string;
  let api: Api;
  let seed: ReturnType<typeof seeder>;
  let alerts: Repository<Alert>;
  /** The inventory the generator draws from: hosts with two items each, and hosts with none. */
  let hostsWithItems: Host[];
  let hostsWithoutItems: Host[];
  let itemsOf: Map<number, Item[]>;

  /** The alerts created after the one with id `afterId`, oldest first. */
  const alertsAfter = (afterId: number) => alerts.find({ where: { id: MoreThan(afterId) }, order: { id: 'ASC' } });
  const lastAlertId = async () => (await alerts.maximum('id')) ?? 0;
  /** Hosts and items back to active with no reason, so what a generation changes stands out. */
  const resetInventory = async () => {
    for (const repository of [seed.hosts, seed.items] as Repository<Host | Item>[]) {
      await repository
        .createQueryBuilder()
        .update()
        .set({ status: SyncStatus.Active, statusDescription: '' })
        .execute();
    }
  };

  beforeAll(async () => {
    t = await startTestApp();
    documented = await DocumentedResponses.watch(t.http);
    token = await t.login();
    api = apiAs(t, token);
    seed = seeder(t);
    alerts = seed.data.getRepository(Alert);
    const monitor = await createMonitor(api);
    hostsWithItems = [];
    hostsWithoutItems = [];
    itemsOf = new Map();
    for (let i = 0; i < 3; i += 1) {
      const host = await seed.syncedHost(monitor.id);
      hostsWithItems.push(host);
      itemsOf.set(host.id, [await seed.syncedItem(host), await seed.syncedItem(host)]);
    }
    for (let i = 0; i < 2; i += 1) hostsWithoutItems.push(await seed.syncedHost(monitor.id));
  });
  afterAll(() => t.close());

  describe('POST /alerts/generate-test (the guide, step 4)', () => {
    it('answers 201 and writes count active alerts, each on an existing host and on one of its items if it has any', async () => {
      const before = await lastAlertId();
      const started = Date.now();
      const res = await api.post('/alerts/generate-test?count=10');

      expect(res.status).toBe(201);
      expect(res.body).toEqual({ message: 'Test alerts generated', count: 10 });
      const rows = await alertsAfter(before);
      expect(rows).toHaveLength(10);
      const hostIds = [...hostsWithItems, ...hostsWithoutItems].map((host) => host.id);
      for (const row of rows) {
        expect(row.status).toBe(AlertStatus.Active);
        expect([AlertSeverity.Info, AlertSeverity.Warning, AlertSeverity.Critical]).toContain(row.severity);
        expect(TEST_ALERT_MESSAGES).toContain(row.message);
        expect(hostIds).toContain(row.hostId);
        const items = itemsOf.get(row.hostId!);
        if (items) expect(items.map((item) => item.id)).toContain(row.itemId);
        else expect(row.itemId).toBeNull();
      }
      const comments = rows.map((row) => COMMENT.exec(row.comment));
      expect(comments.map((match) => Number(match?.[1])).sort((a, b) => a - b)).toEqual([
        1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
      ]);
      for (const match of comments) {
        expect(Date.parse(match![2])).toBeGreaterThanOrEqual(started - 1000);
        expect(Date.parse(match![2])).toBeLessThanOrEqual(Date.now() + 1000);
      }
    });

    it('puts the host and item of each critical alert in error with "Critical alert: <message>", and no other', async () => {
      await resetInventory();
      const before = await lastAlertId();
      expect((await api.post('/alerts/generate-test?count=100')).status).toBe(201);

      const rows = await alertsAfter(before);
      const critical = rows.filter((row) => row.severity === AlertSeverity.Critical);
      expect(critical.length).toBeGreaterThan(0); // P(none of 100) = (2/3)^100
      // The last critical alert on a host or item names its reason.
      const reasonOfHost = new Map(critical.map((row) => [row.hostId, `Critical alert: ${row.message}`]));
      const reasonOfItem = new Map(
        critical.filter((row) => row.itemId !== null).map((row) => [row.itemId, `Critical alert: ${row.message}`]),
      );
      for (const host of await seed.hosts.find()) {
        const reason = reasonOfHost.get(host.id);
        expect({ id: host.id, status: host.status, reason: host.statusDescription }).toEqual({
          id: host.id,
          status: reason ? SyncStatus.Error : SyncStatus.Active,
          reason: reason ?? '',
        });
      }
      for (const item of await seed.items.find()) {
        const reason = reasonOfItem.get(item.id);
        expect({ id: item.id, status: item.status, reason: item.statusDescription }).toEqual({
          id: item.id,
          status: reason ? SyncStatus.Error : SyncStatus.Active,
          reason: reason ?? '',
        });
      }
    });

    it('spreads the alerts over every host, every item, the three severities 0..2 and many messages', async () => {
      const before = await lastAlertId();
      expect((await api.post('/alerts/generate-test?count=100')).status).toBe(201);

      const rows = await alertsAfter(before);
      const allHosts = [...hostsWithItems, ...hostsWithoutItems].map((host) => host.id).sort((a, b) => a - b);
      expect([...new Set(rows.map((row) => row.hostId))].sort((a, b) => a! - b!)).toEqual(allHosts);
      const allItems = [...itemsOf.values()].flat().map((item) => item.id);
      expect(new Set(rows.map((row) => row.itemId).filter((id) => id !== null))).toEqual(new Set(allItems));
      expect(new Set(rows.map((row) => row.severity))).toEqual(
        new Set([AlertSeverity.Info, AlertSeverity.Warning, AlertSeverity.Critical]),
      );
      expect(new Set(rows.map((row) => row.message)).size).toBeGreaterThanOrEqual(8);
    });

    it('runs many generations at once (as parallel workers do) beside API writes, losing and failing none', async () => {
      const before = await lastAlertId();
      const generator = t.app.get(TestAlertGenerator);
      const [generated, created] = await Promise.all([
        Promise.allSettled(Array.from({ length: 40 }, () => generator.generate(20))),
        Promise.all(Array.from({ length: 20 }, () => api.post('/alerts', { message: 'concurrent', severity: 1 }))),
      ]);
      expect(generated.filter((result) => result.status === 'rejected')).toEqual([]);
      expect(created.map((res) => res.status)).toEqual(Array(20).fill(201));
      expect(await alertsAfter(before)).toHaveLength(40 * 20 + 20);
    });

    it('generates 5 alerts when count is not given', async () => {
      const before = await lastAlertId();
      const res = await api.post('/alerts/generate-test');
      expect(res.status).toBe(201);
      expect(res.body).toEqual({ message: 'Test alerts generated', count: 5 });
      expect(await alertsAfter(before)).toHaveLength(5);
    });

    it.each(['0', '101', '-3', '1.5', 'abc', '', '1e1', '0x10'])(
      'refuses count=%p with 400 naming count, and writes nothing',
      async (count) => {
        const before = await lastAlertId();
        const res = await api.post(`/alerts/generate-test?count=${encodeURIComponent(count)}`);
        expect(res.status).toBe(400);
        expect(res.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
        expect(messageOf(res)).toContain(COUNT_MESSAGE);
        expect(await alertsAfter(before)).toHaveLength(0);
      },
    );

    it('takes count=100, the most', async () => {
      const before = await lastAlertId();
      expect((await api.post('/alerts/generate-test?count=100')).body).toEqual({
        message: 'Test alerts generated',
        count: 100,
      });
      expect(await alertsAfter(before)).toHaveLength(100);
    });
  });

  describe('GET /alerts/score (the guide, step 5)', () => {
    it('answers the score the formula gives for the alerts the database holds', async () => {
      expect((await api.post('/alerts/generate-test?count=10')).status).toBe(201);
      await createAlert(api, { severity: AlertSeverity.Disaster });
      const held = await alerts.find({ select: { severity: true, status: true } });
      expect(held.length).toBeGreaterThan(10);

      const res = await api.get('/alerts/score');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ score: alertScore(totalWeight(held)) });
      expect(Number.isInteger(res.body.score)).toBe(true);
    });

    describe('worked examples, on an emptied alerts table', () => {
      beforeEach(() => alerts.clear());

      it('is 100 with no alerts', async () => {
        expect((await api.get('/alerts/score')).body).toEqual({ score: 100 });
      });

      it('goes 46 for one active critical alert, 66 once it is acknowledged, 100 once it is resolved', async () => {
        const { id } = await createAlert(api, { severity: AlertSeverity.Critical });
        expect((await api.get('/alerts/score')).body).toEqual({ score: 46 });
        expect((await api.patch(`/alerts/${id}`, { status: AlertStatus.Acknowledged })).status).toBe(200);
        expect((await api.get('/alerts/score')).body).toEqual({ score: 66 });
        expect((await api.patch(`/alerts/${id}`, { status: AlertStatus.Resolved })).status).toBe(200);
        expect((await api.get('/alerts/score')).body).toEqual({ score: 100 });
      });

      it('is 11 for one active disaster, which Go weighed as nothing', async () => {
        await createAlert(api, { severity: AlertSeverity.Disaster });
        expect((await api.get('/alerts/score')).body).toEqual({ score: 11 });
      });

      it('sums the weights: an active info, warning and critical alert weigh 26, giving 36', async () => {
        for (const severity of [AlertSeverity.Info, AlertSeverity.Warning, AlertSeverity.Critical]) {
          await createAlert(api, { severity });
        }
        expect((await api.get('/alerts/score')).body).toEqual({ score: 36 });
      });

      it('is 3 at W = 60 and 0 at W = 65, past where 50 ln(1 + W/10) reaches 100 (W ≈ 63.9)', async () => {
        for (const severity of [AlertSeverity.Disaster, AlertSeverity.Warning, AlertSeverity.Warning]) {
          await createAlert(api, { severity });
        }
        expect((await api.get('/alerts/score')).body).toEqual({ score: 3 });
        await createAlert(api, { severity: AlertSeverity.Warning });
        expect((await api.get('/alerts/score')).body).toEqual({ score: 0 });
      });
    });
  });

  describe('POST /alerts/generate-test-async', () => {
    it('queues a generate_alerts task (202) that the worker runs: count more alerts exist once it completes', async () => {
      const before = await lastAlertId();
      const res = await api.post('/alerts/generate-test-async?count=3');

      expect(res.status).toBe(202);
      expect(res.body).toEqual({
        message: 'Test alert generation task queued',
        task_id: expect.stringMatching(/^generate_alerts:\d+$/),
        count: 3,
      });
      const task = await waitForTask(t.http, token, res.body.task_id);
      expect(task).toMatchObject({ state: 'completed', result: { count: 3, critical: expect.any(Number) } });
      const rows = await alertsAfter(before);
      expect(rows).toHaveLength(3);
      expect(rows.map((row) => Number(COMMENT.exec(row.comment)?.[1])).sort()).toEqual([1, 2, 3]);
      expect((task.result as { critical: number }).critical).toBe(
        rows.filter((row) => row.severity === AlertSeverity.Critical).length,
      );
    });

    it('logs the task as a worker task', async () => {
      const res = await api.post('/alerts/generate-test-async?count=1');
      await waitForTask(t.http, token, res.body.task_id);
      expect(t.systemLog()).toContain(`worker completed task ${res.body.task_id}`);
    });

    it.each(['0', '101', 'many'])('refuses count=%p with 400 naming count, queuing nothing', async (count) => {
      const res = await api.post(`/alerts/generate-test-async?count=${count}`);
      expect(res.status).toBe(400);
      expect(messageOf(res)).toContain(COUNT_MESSAGE);
      expect((await api.get('/queue/stats')).body.generate_alerts).toBe(0);
    });
  });

  describe('POST /alerts', () => {
    it('creates an active alert (201) and answers it in snake_case', async () => {
      const [host] = hostsWithItems;
      const [item] = itemsOf.get(host.id)!;
      const res = await api.post('/alerts', {
        message: 'Disk /var at 97%',
        severity: AlertSeverity.Critical,
        host_id: host.id,
        item_id: item.id,
        comment: 'seen on the dashboard',
      });

      expect(res.status).toBe(201);
      expect(res.body).toEqual({
        id: expect.any(Number),
        message: 'Disk /var at 97%',
        severity: AlertSeverity.Critical,
        status: AlertStatus.Active,
        host_id: host.id,
        item_id: item.id,
        comment: 'seen on the dashboard',
        source: 'test',
        monitor_id: null,
        external_id: null,
        acknowledged_by: null,
        acknowledged_at: null,
        acknowledgement_sent_at: null,
        resolved_by: null,
        resolved_at: null,
        created_at: expect.stringMatching(ISO_DATE),
        updated_at: expect.stringMatching(ISO_DATE),
      });
      const fetched = await api.get(`/alerts/${res.body.id}`);
      expect(fetched.status).toBe(200);
      expect(fetched.body).toEqual(res.body);
    });

    it('takes the host from the item when only item_id is given', async () => {
      const [, host] = hostsWithItems;
      const [, item] = itemsOf.get(host.id)!;
      expect(await createAlert(api, { item_id: item.id })).toMatchObject({ host_id: host.id, item_id: item.id });
    });

    it('takes an alert on no host at all, with an empty comment', async () => {
      expect(await createAlert(api)).toMatchObject({ host_id: null, item_id: null, comment: '' });
    });

    it('answers 404 naming an unknown host or item, or an item on another host', async () => {
      const [first, second] = hostsWithItems;
      const [itemOfSecond] = itemsOf.get(second.id)!;
      const cases: Array<[Partial<AlertBody>, string]> = [
        [{ host_id: 999_999 }, 'Host 999999 not found'],
        [{ item_id: 999_999 }, 'Item 999999 not found'],
        [{ host_id: first.id, item_id: itemOfSecond.id }, `Item ${itemOfSecond.id} not found on host ${first.id}`],
      ];
      for (const [body, message] of cases) {
        const res = await api.post('/alerts', { message: 'x', severity: 1, ...body });
        expect(res.status).toBe(404);
        expect(res.body).toEqual({ statusCode: 404, error: 'Not Found', message });
      }
    });

    it('names every missing field in one 400', async () => {
      const res = await api.post('/alerts', {});
      expect(res.status).toBe(400);
      const message = res.body.message as string[];
      for (const field of ['message', 'severity'])
        expect(message.some((line) => line.startsWith(`${field} `))).toBe(true);
      expect(message.some((line) => /^(host_id|item_id|comment) /.test(line))).toBe(false);
    });

    const SEVERITY_MESSAGE = 'severity must be 0 (info), 1 (warning), 2 (critical) or 3 (disaster)';
    it.each([
      { label: 'severity 4', body: { severity: 4 }, expected: SEVERITY_MESSAGE },
      { label: 'severity "2" (text)', body: { severity: '2' }, expected: SEVERITY_MESSAGE },
      { label: 'an empty message', body: { message: '' }, expected: 'message must be longer than or equal to 1' },
      {
        label: 'a message of 1025 characters',
        body: { message: 'x'.repeat(1025) },
        expected: 'message must be shorter than or equal to 1024 characters',
      },
      { label: 'host_id 0', body: { host_id: 0 }, expected: 'host_id must not be less than 1' },
      { label: 'item_id "seven"', body: { item_id: 'seven' }, expected: 'item_id must be an integer number' },
      { label: 'a status', body: { status: AlertStatus.Resolved }, expected: 'property status should not exist' },
    ])('refuses $label with 400 saying what is wrong', async ({ body, expected }) => {
      const res = await api.post('/alerts', { message: 'x', severity: 1, ...body });
      expect(res.status).toBe(400);
      expect(messageOf(res)).toContain(expected);
    });
  });

  describe('GET /alerts/:id', () => {
    it('answers 404 for an alert that does not exist, and 400 naming id for one that is not an id', async () => {
      const missing = await api.get('/alerts/999999');
      expect(missing.status).toBe(404);
      expect(missing.body).toEqual({ statusCode: 404, error: 'Not Found', message: 'Alert 999999 not found' });
      const invalid = await api.get('/alerts/abc');
      expect(invalid.status).toBe(400);
      expect(messageOf(invalid)).toContain('id');
    });
  });

  describe('PATCH /alerts/:id', () => {
    let writer: Api;
    let writerName: string;

    beforeAll(async () => {
      const writerToken = await tokenWithPrivilege(t, api, 2);
      writer = apiAs(t, writerToken);
      writerName = (await writer.get('/auth/me')).body.username;
    });

    it('acknowledges an alert, recording who and when', async () => {
      const { id } = await createAlert(api);
      const before = Date.now();
      const res = await api.patch(`/alerts/${id}`, { status: AlertStatus.Acknowledged, comment: 'looking into it' });

      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        status: AlertStatus.Acknowledged,
        comment: 'looking into it',
        acknowledged_by: ADMIN_USERNAME,
        acknowledged_at: expect.stringMatching(ISO_DATE),
        // An alert of ours has no monitor to send it to.
        acknowledgement_sent_at: null,
        resolved_by: null,
        resolved_at: null,
      });
      expect(Date.parse(res.body.acknowledged_at)).toBeGreaterThanOrEqual(before - 1000);
      expect(Date.parse(res.body.acknowledged_at)).toBeLessThanOrEqual(Date.now() + 1000);
      expect((await api.get(`/alerts/${id}`)).body).toEqual(res.body);
    });

    it('resolves an acknowledged alert as another user, keeping who acknowledged it', async () => {
      const { id } = await createAlert(api);
      await api.patch(`/alerts/${id}`, { status: AlertStatus.Acknowledged });
      const res = await writer.patch(`/alerts/${id}`, { status: AlertStatus.Resolved });

      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        status: AlertStatus.Resolved,
        acknowledged_by: ADMIN_USERNAME,
        resolved_by: writerName,
        resolved_at: expect.stringMatching(ISO_DATE),
      });
      expect(Date.parse(res.body.resolved_at)).toBeGreaterThanOrEqual(Date.parse(res.body.acknowledged_at));
    });

    it('resolves an active alert directly, leaving it unacknowledged', async () => {
      const { id } = await createAlert(api);
      const res = await writer.patch(`/alerts/${id}`, { status: AlertStatus.Resolved });
      expect(res.body).toMatchObject({
        status: 2,
        acknowledged_by: null,
        acknowledged_at: null,
        resolved_by: writerName,
      });
    });

    it('keeps the first record when a transition is repeated', async () => {
      const { id } = await createAlert(api);
      const first = (await api.patch(`/alerts/${id}`, { status: AlertStatus.Acknowledged })).body;
      const again = await writer.patch(`/alerts/${id}`, { status: AlertStatus.Acknowledged });
      expect(again.status).toBe(200);
      expect(again.body).toMatchObject({
        acknowledged_by: ADMIN_USERNAME,
        acknowledged_at: first.acknowledged_at,
      });
      const resolved = (await api.patch(`/alerts/${id}`, { status: AlertStatus.Resolved })).body;
      const resolvedAgain = await writer.patch(`/alerts/${id}`, { status: AlertStatus.Resolved });
      expect(resolvedAgain.body).toMatchObject({ resolved_by: ADMIN_USERNAME, resolved_at: resolved.resolved_at });
    });

    it('answers 409 to acknowledging a resolved alert, and leaves it resolved', async () => {
      const { id } = await createAlert(api);
      await api.patch(`/alerts/${id}`, { status: AlertStatus.Resolved });
      const res = await api.patch(`/alerts/${id}`, { status: AlertStatus.Acknowledged });
      expect(res.status).toBe(409);
      expect(res.body).toEqual({
        statusCode: 409,
        error: 'Conflict',
        message: `Alert ${id} is resolved; it can no longer be acknowledged`,
      });
      expect((await api.get(`/alerts/${id}`)).body).toMatchObject({
        status: AlertStatus.Resolved,
        acknowledged_by: null,
      });
    });

    it('changes only the comment when no status is given', async () => {
      const { id } = await createAlert(api, { comment: 'first' });
      const res = await api.patch(`/alerts/${id}`, { comment: 'second' });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ status: AlertStatus.Active, comment: 'second', acknowledged_by: null });
    });

    it.each([[0], [3], ['1']])('refuses status %p with 400 naming status', async (status) => {
      const { id } = await createAlert(api);
      const res = await api.patch(`/alerts/${id}`, { status });
      expect(res.status).toBe(400);
      expect(messageOf(res)).toContain('status must be 1 (acknowledge) or 2 (resolve)');
    });

    it('refuses a change of message or severity with 400 naming the property', async () => {
      const { id } = await createAlert(api);
      const res = await api.patch(`/alerts/${id}`, { severity: 3 });
      expect(res.status).toBe(400);
      expect(messageOf(res)).toContain('property severity should not exist');
    });

    it('answers 404 for an alert that does not exist', async () => {
      const res = await api.patch('/alerts/999999', { status: AlertStatus.Resolved });
      expect(res.status).toBe(404);
      expect(res.body.message).toBe('Alert 999999 not found');
    });
  });

  describe('DELETE /alerts/:id', () => {
    it('deletes an alert (204); it is gone afterwards', async () => {
      const { id } = await createAlert(api);
      const res = await api.delete(`/alerts/${id}`);
      expect(res.status).toBe(204);
      expect(res.text).toBe('');
      expect((await api.get(`/alerts/${id}`)).status).toBe(404);
      expect((await api.delete(`/alerts/${id}`)).status).toBe(404);
    });
  });

  it('keeps the alerts of a deleted host and item, with the reference cleared', async () => {
    // A host on no monitor: one still on its monitor is deleted there first (DELETE ?on_monitor=true, a task).
    const host = await seed.syncedHost(0, { monitorId: null, externalId: null });
    const item = await seed.syncedItem(host);
    const onItem = await createAlert(api, { host_id: host.id, item_id: item.id });
    const onHost = await createAlert(api, { host_id: host.id });

    expect((await api.delete(`/hosts/${host.id}`)).status).toBe(204);
    expect((await api.get(`/alerts/${onItem.id}`)).body).toMatchObject({ host_id: null, item_id: null });
    expect((await api.get(`/alerts/${onHost.id}`)).body).toMatchObject({ host_id: null, item_id: null });
  });

  describe('GET /alerts', () => {
    /** Five alerts whose messages share a tag, an hour apart, so each filter can be checked against exactly these. */
    const tag = `list${unique()}`;
    const T0 = Date.parse('2025-03-01T10:00:00.000Z');
    const HOUR = 3_600_000;
    const made: Record<string, number> = {};

    beforeAll(async () => {
      const [host, other] = hostsWithItems;
      const [item] = itemsOf.get(host.id)!;
      const specs: Record<string, Partial<Alert>> = {
        oldest: { message: `${tag} CPU high`, severity: AlertSeverity.Info, hostId: host.id },
        onItem: { message: `${tag} Disk 100%`, severity: AlertSeverity.Critical, hostId: host.id, itemId: item.id },
        lookalike: { message: `${tag} Disk 100x`, severity: AlertSeverity.Critical, hostId: other.id },
        acknowledged: { message: `${tag} Memory`, severity: AlertSeverity.Warning, status: AlertStatus.Acknowledged },
        newest: { message: `${tag} Network`, severity: AlertSeverity.Disaster, status: AlertStatus.Resolved },
      };
      let hour = 0;
      for (const [key, spec] of Object.entries(specs)) {
        const createdAt = new Date(T0 + hour * HOUR);
        hour += 1;
        const saved = await alerts.save(
          alerts.create({ status: AlertStatus.Active, hostId: null, itemId: null, comment: '', ...spec, createdAt }),
        );
        made[key] = saved.id;
      }
    });

    const idsOf = async (query: Record<string, string | number>) => {
      const res = await api.get('/alerts', { q: tag, ...query });
      expect(res.status).toBe(200);
      return (res.body.items as AlertJson[]).map((alert) => alert.id);
    };

    describeListEndpoint('GET /alerts', {
      list: (query) => api.get('/alerts', query),
      seed: async () => ({
        query: { q: tag },
        ids: [made.newest, made.acknowledged, made.lookalike, made.onItem, made.oldest],
      }),
      refused: [
        [{ from: 'yesterday' }, 'from must be an ISO 8601 date-time'],
        [{ to: '2025-02-30T00:00:00Z' }, 'to must be an ISO 8601 date-time'],
        [{ from: '2025-03-02T00:00:00Z', to: '2025-03-01T00:00:00Z' }, 'from must not be after to'],
        [{ severity: 4 }, 'severity must not be greater than 3'],
        [{ status: 'open' }, 'status must be an integer number'],
        [{ host_id: 0 }, 'host_id must not be less than 1'],
        [{ limit: 501 }, 'limit must not be greater than 500'],
        [{ sort: 'id' }, 'property sort should not exist'],
      ],
    });

    it('lists every alert with no filter, at most limit of them, newest first', async () => {
      const res = await api.get('/alerts', { limit: 500 });
      expect(res.body.total).toBe(await alerts.count());
      const created = (res.body.items as AlertJson[]).map((alert) => Date.parse(alert.created_at));
      expect(created).toEqual([...created].sort((a, b) => b - a));
    });

    it('filters by severity, status, host_id and item_id', async () => {
      const [host, other] = hostsWithItems;
      const [item] = itemsOf.get(host.id)!;
      expect(await idsOf({ severity: AlertSeverity.Critical })).toEqual([made.lookalike, made.onItem]);
      expect(await idsOf({ status: AlertStatus.Acknowledged })).toEqual([made.acknowledged]);
      expect(await idsOf({ status: AlertStatus.Active })).toEqual([made.lookalike, made.onItem, made.oldest]);
      expect(await idsOf({ host_id: host.id })).toEqual([made.onItem, made.oldest]);
      expect(await idsOf({ host_id: other.id, severity: AlertSeverity.Critical })).toEqual([made.lookalike]);
      expect(await idsOf({ item_id: item.id })).toEqual([made.onItem]);
    });

    it('matches q anywhere in the message, in any case, taking % and _ literally', async () => {
      expect((await api.get('/alerts', { q: `${tag} DISK` })).body.total).toBe(2);
      const percent = await api.get('/alerts', { q: `${tag} disk 100%` });
      expect(percent.body.items.map((alert: AlertJson) => alert.id)).toEqual([made.onItem]);
      expect((await api.get('/alerts', { q: `${tag} _isk` })).body.total).toBe(0);
    });

    it('keeps alerts created from `from` to `to`, both included', async () => {
      const at = (hours: number) => new Date(T0 + hours * HOUR).toISOString();
      expect(await idsOf({ from: at(1), to: at(3) })).toEqual([made.acknowledged, made.lookalike, made.onItem]);
      expect(await idsOf({ from: at(3.5) })).toEqual([made.newest]);
      expect(await idsOf({ to: '2025-03-01T10:30:00+00:00' })).toEqual([made.oldest]);
      expect(await idsOf({ from: '2025-03-01T12:30:00+02:00', to: '2025-03-01T11:00:00Z' })).toEqual([made.onItem]);
    });
  });

  describe('privileges', () => {
    let reader: Api;
    let alertId: number;

    beforeAll(async () => {
      reader = apiAs(t, await tokenWithPrivilege(t, api, 1));
      alertId = (await createAlert(api)).id;
    });

    it('lets a privilege-1 user read alerts and the score', async () => {
      expect((await reader.get('/alerts')).status).toBe(200);
      expect((await reader.get(`/alerts/${alertId}`)).status).toBe(200);
      expect((await reader.get('/alerts/score')).status).toBe(200);
    });

    it('answers 403 to every alert write by a privilege-1 user, and changes nothing', async () => {
      const before = (await api.get(`/alerts/${alertId}`)).body;
      const total = await alerts.count();
      const attempts = [
        await reader.post('/alerts', { message: 'x', severity: 1 }),
        await reader.patch(`/alerts/${alertId}`, { status: AlertStatus.Resolved }),
        await reader.delete(`/alerts/${alertId}`),
        await reader.post('/alerts/generate-test?count=1'),
        await reader.post('/alerts/generate-test-async?count=1'),
      ];
      for (const res of attempts) {
        expect(res.status).toBe(403);
        expect(res.body).toMatchObject({ statusCode: 403, error: 'Forbidden' });
      }
      expect((await api.get(`/alerts/${alertId}`)).body).toEqual(before);
      expect(await alerts.count()).toBe(total);
      expect((await api.get('/queue/stats')).body.generate_alerts).toBe(0);
    });
  });

  it('answered every request of this suite with a status and a body its OpenAPI document gives', () => {
    expect(documented.checked).toBeGreaterThan(20);
    expect(documented.problems()).toEqual([]);
  });
});

describe('alerts with no hosts at all (e2e)', () => {
  let t: TestApp;
  let api: Api;

  beforeAll(async () => {
    t = await startTestApp();
    api = apiAs(t, await t.login());
  });
  afterAll(() => t.close());

  it('answers 409 to generate-test, saying there are no hosts, and writes nothing', async () => {
    const res = await api.post('/alerts/generate-test?count=3');
    expect(res.status).toBe(409);
    expect(res.body).toEqual({ statusCode: 409, error: 'Conflict', message: expect.stringMatching(/no hosts/) });
    expect(await seeder(t).data.getRepository(Alert).count()).toBe(0);
  });

  it('answers 409 to generate-test-async too, queuing nothing', async () => {
    const res = await api.post('/alerts/generate-test-async?count=3');
    expect(res.status).toBe(409);
    expect(res.body.message).toMatch(/no hosts/);
    expect((await api.get('/queue/stats')).body.generate_alerts).toBe(0);
  });

  it('scores an empty alerts table 100 and lists it as an empty page', async () => {
    expect((await api.get('/alerts/score')).body).toEqual({ score: 100 });
    expect((await api.get('/alerts')).body).toEqual({ items: [], total: 0, limit: 50, offset: 0 });
  });
});
