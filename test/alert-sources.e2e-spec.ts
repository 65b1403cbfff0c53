import type { DataSource, Repository } from 'typeorm';
import { Alert } from '../src/alerts/entities/alert.entity';
import { AlertSeverity, AlertStatus } from '../src/alerts/entities/alert-levels';
import { type Api, apiAs, createMonitor, seeder } from './support/inventory-factory';
import { DocumentedResponses } from './support/documented-responses';
import { startTestApp, type TestApp } from './support/test-app';

/** Where alerts come from: `source`, the monitor and the event id they carry, and what the list and score make of them. */
describe('alert sources (e2e)', () => {
  let t: TestApp;
  let documented: DocumentedResponses;
  let api: Api;
  let data: DataSource;
  let alerts: Repository<Alert>;
  let monitorId: number;
  /** The alert that existed before the migration that added sources. */
  let legacyId: number;

  /** A problem of the monitor, as a pull stores it. */
  const zabbixAlert = (overrides: Partial<Alert> = {}) =>
    alerts.save(
      alerts.create({
        message: 'Zabbix agent is unreachable',
        severity: AlertSeverity.Critical,
        status: AlertStatus.Active,
        source: 'zabbix',
        monitorId,
        externalId: String(Math.floor(Math.random() * 1e9)),
        ...overrides,
      }),
    );

  beforeAll(async () => {
    t = await startTestApp();
    documented = await DocumentedResponses.watch(t.http);
    api = apiAs(t, await t.login());
    const seed = seeder(t);
    data = seed.data;
    alerts = data.getRepository(Alert);
    monitorId = (await createMonitor(api)).id;

    // An alert written before the migration: the migration undone, a row in the old columns, the migration again.
    await data.undoLastMigration({ transaction: 'all' });
    await data.query(`INSERT INTO "alerts" ("message", "severity") VALUES ('before sources', 1)`);
    await data.runMigrations({ transaction: 'all' });
    legacyId = (await alerts.findOneByOrFail({ message: 'before sources' })).id;
  });
  afterAll(() => t.close());

  it('gives the alerts made before sources existed the source "test", with no monitor and no event id', async () => {
    const res = await api.get(`/alerts/${legacyId}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ message: 'before sources', source: 'test', monitor_id: null, external_id: null });
  });

  it('gives generated and hand-made alerts the source "test"', async () => {
    await seeder(t).syncedHost(monitorId);
    expect((await api.post('/alerts/generate-test?count=3')).status).toBe(201);
    const made = await api.post('/alerts', { message: 'by hand', severity: AlertSeverity.Info });
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({ source: 'test', monitor_id: null, external_id: null });
    const rows = await alerts.find({ order: { id: 'DESC' }, take: 4 });
    expect(rows.map((row) => row.source)).toEqual(['test', 'test', 'test', 'test']);
  });

  it('answers a zabbix alert with its source, monitor and event id', async () => {
    const alert = await zabbixAlert({ externalId: '4281' });
    const res = await api.get(`/alerts/${alert.id}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ source: 'zabbix', monitor_id: monitorId, external_id: '4281' });
  });

  it('filters GET /alerts by source', async () => {
    const mine = await zabbixAlert();
    const zabbix = await api.get('/alerts', { source: 'zabbix', limit: 500 });
    expect(zabbix.status).toBe(200);
    expect(zabbix.body.items.map((row: { id: number }) => row.id)).toContain(mine.id);
    expect(new Set(zabbix.body.items.map((row: { source: string }) => row.source))).toEqual(new Set(['zabbix']));
    expect(zabbix.body.total).toBe(await alerts.countBy({ source: 'zabbix' }));

    const test = await api.get('/alerts', { source: 'test', limit: 500 });
    expect(test.body.total).toBe(await alerts.countBy({ source: 'test' }));
    expect(test.body.items.map((row: { id: number }) => row.id)).not.toContain(mine.id);
  });

  it('answers 400 naming source for an unknown one', async () => {
    const res = await api.get('/alerts', { source: 'nagios' });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body.message)).toContain('source must be one of: zabbix, test');
  });

  it('keeps one alert per event of a monitor: a second row with the same event id is refused by the database', async () => {
    await zabbixAlert({ externalId: 'dup-1' });
    await expect(zabbixAlert({ externalId: 'dup-1' })).rejects.toThrow(/unique|duplicate/i);
  });

  it('counts every source in the score', async () => {
    await alerts.clear();
    await zabbixAlert({ severity: AlertSeverity.Critical });
    expect((await api.get('/alerts/score')).body).toEqual({ score: 46 });
    await alerts.save(alerts.create({ message: 'test one', severity: AlertSeverity.Critical }));
    // W = 40: 100 - floor(50 ln 5) = 20
    expect((await api.get('/alerts/score')).body).toEqual({ score: 20 });
  });

  it('keeps a zabbix alert when its monitor is deleted, with the monitor cleared', async () => {
    const other = await createMonitor(api);
    const alert = await zabbixAlert({ monitorId: other.id });
    expect((await api.delete(`/monitors/${other.id}`)).status).toBe(204);
    expect(await alerts.findOneByOrFail({ id: alert.id })).toMatchObject({ monitorId: null, source: 'zabbix' });
  });

  it('answered every request of this suite with a status and a body its OpenAPI document gives', () => {
    expect(documented.checked).toBeGreaterThan(0);
    expect(documented.problems()).toEqual([]);
  });
});
