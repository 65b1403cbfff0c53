import { DataSource, In } from 'typeorm';
import request from 'supertest';
import { CredentialsCipher } from '../src/monitors/credentials-cipher';
import { Host } from '../src/monitors/entities/host.entity';
import { Item } from '../src/monitors/entities/item.entity';
import { Monitor } from '../src/monitors/entities/monitor.entity';
import { SyncStatus } from '../src/monitors/entities/sync-status';
import { InventoryWriter } from '../src/monitors/sync/inventory-writer';
import { ANALYZE_AFTER_ADDED, ANALYZE_LOCK_TIMEOUT_MS } from '../src/monitors/sync/planner-statistics';
import { freePort } from './support/redis-server';
import { DocumentedResponses } from './support/documented-responses';
import { startTestApp, type TestApp } from './support/test-app';
import { acceptPushes } from './support/zabbix-fakes';
import {
  FIXTURE_CLOCK,
  UNSUPPORTED_ERROR,
  UNSUPPORTED_EVERY,
  ZabbixInventoryFixture,
} from './support/zabbix-inventory-fixture';

const itOnPostgres = process.env.DATABASE_URL?.startsWith('postgres') ? it : it.skip;

/** When ANALYZE last ran on the inventory's tables, by PostgreSQL's own record (none on SQLite). */
async function analyzedAt(data: DataSource): Promise<Record<string, string | null>> {
  if (data.options.type !== 'postgres') return {};
  const rows: { relname: string; last_analyze: Date | null }[] = await data.query(
    `SELECT relname, last_analyze FROM pg_stat_user_tables WHERE relname IN ('hosts', 'items')`,
  );
  return Object.fromEntries(rows.map((row) => [row.relname, row.last_analyze?.toISOString() ?? null]));
}

/**
 * The sync services through the synchronous endpoints, against a Zabbix-compatible fixture that can hold a big
 * inventory and be changed between pulls. The same round trip against a real Zabbix is test/zabbix/.
 */
describe('sync (e2e)', () => {
  let t: TestApp;
  let documented: DocumentedResponses;
  let token: string;
  let fixture: ZabbixInventoryFixture;

  const api = () => ({
    post: (path: string) => request(t.http).post(`/api/v1${path}`).set('Authorization', `Bearer ${token}`),
    get: (path: string) => request(t.http).get(`/api/v1${path}`).set('Authorization', `Bearer ${token}`),
  });

  async function createMonitor(url: string, password: string, name = `m-${Math.random()}`): Promise<number> {
    const res = await api().post('/monitors').send({ name, url, type: 'zabbix', username: 'Admin', password });
    expect(res.status).toBe(201);
    return res.body.id;
  }

  beforeAll(async () => {
    t = await startTestApp();
    documented = await DocumentedResponses.watch(t.http);
    token = await t.login();
    fixture = await ZabbixInventoryFixture.start(2000, 10);
  });
  afterAll(async () => {
    await fixture.close();
    await t.close();
  });

  it('pulls 2,000 hosts × 10 items in one go, and a second pull adds and rewrites nothing', async () => {
    const monitorId = await createMonitor(fixture.url, fixture.password);
    const data = t.app.get(DataSource);
    const postgres = data.options.type === 'postgres';

    const first = await api().post(`/monitors/${monitorId}/hosts/pull`);
    expect(first.status).toBe(200);
    expect(first.body).toEqual({
      added: 2000,
      updated: 0,
      unchanged: 0,
      vanished: 0,
      failed: 0,
      total: 2000,
      items: { added: 20_000, updated: 0, unchanged: 0, vanished: 0, failed: 0, total: 20_000, unsupported: 2000 },
    });
    // item.get asks for many hosts per call: 2,000 hosts in batches, not 2,000 calls.
    expect(fixture.fake.calls('item.get').length).toBeLessThanOrEqual(20);
    // 22,000 rows, fewer than ANALYZE_AFTER_ADDED: the statistics are left to autovacuum (planner-statistics.ts).
    const analyzed = await analyzedAt(data);
    if (postgres) expect(analyzed).toEqual({ hosts: null, items: null });

    const syncedBefore = await data.getRepository(Item).findOneByOrFail({ externalId: '1000000' });
    const second = await api().post(`/monitors/${monitorId}/hosts/pull`);
    expect(second.body).toEqual({
      added: 0,
      updated: 0,
      unchanged: 2000,
      vanished: 0,
      failed: 0,
      total: 2000,
      items: { added: 0, updated: 0, unchanged: 20_000, vanished: 0, failed: 0, total: 20_000, unsupported: 2000 },
    });
    // Not rewritten: the row is as the first pull left it.
    expect(await data.getRepository(Item).findOneByOrFail({ externalId: '1000000' })).toEqual(syncedBefore);
    expect(await analyzedAt(data)).toEqual(analyzed);

    expect(await data.getRepository(Host).countBy({ monitorId })).toBe(2000);
    expect(await data.getRepository(Item).count()).toBe(20_000);
    const monitor = await api().get(`/monitors/${monitorId}`);
    expect(monitor.body).toMatchObject({ status: SyncStatus.Active, last_sync_at: expect.any(String) });
    const groups = await api().get('/groups');
    expect(groups.body.filter((group: { monitor_id: number }) => group.monitor_id === monitorId)).toHaveLength(5);
    const host = await api().get(`/hosts?monitor_id=${monitorId}&q=Host%2020007`);
    expect(host.body.items[0]).toMatchObject({ name: 'Host 20007', ip_addr: '127.0.0.7', external_id: '20007' });
  }, 180_000);

  it('asks item.get for at most 5,000 items a call on a monitor of 600 items a host, by the counts host.get gives', async () => {
    const wide = await ZabbixInventoryFixture.start(40, 600);
    try {
      const monitorId = await createMonitor(wide.url, wide.password);
      const res = await api().post(`/monitors/${monitorId}/hosts/pull`);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ added: 40, total: 40, items: { added: 24_000, total: 24_000 } });
      const [listing] = wide.fake.calls('host.get');
      expect(listing.params).toMatchObject({ output: ['hostid'], selectItems: 'count' });
      // Eight hosts (4,800 items) a call, where batches of 100 hosts would have asked for all 24,000 at once.
      const hostsPerCall = wide.fake.calls('item.get').map((call) => (call.params.hostids as string[]).length);
      expect(hostsPerCall).toEqual([8, 8, 8, 8, 8]);
    } finally {
      await wide.close();
    }
  }, 120_000);

  itOnPostgres(
    'refreshes the statistics after a big pull, giving up past the lock timeout rather than wait',
    async () => {
      const writer = t.app.get(InventoryWriter);
      const holder = t.app.get(DataSource).createQueryRunner();
      await holder.connect();
      await holder.startTransaction();
      // The lock ANALYZE takes, held by another session (as a manual VACUUM or another ANALYZE would).
      await holder.query('LOCK TABLE "items" IN SHARE UPDATE EXCLUSIVE MODE');
      try {
        const started = Date.now();
        await expect(writer.refreshStatistics({ hosts: 0, items: ANALYZE_AFTER_ADDED })).resolves.toBe(false);
        expect(Date.now() - started).toBeGreaterThanOrEqual(ANALYZE_LOCK_TIMEOUT_MS - 50);
        expect(Date.now() - started).toBeLessThan(ANALYZE_LOCK_TIMEOUT_MS + 5000);
      } finally {
        await holder.rollbackTransaction();
        await holder.release();
      }
      const data = t.app.get(DataSource);
      const [{ now }] = await data.query('SELECT now() AS now');
      await expect(writer.refreshStatistics({ hosts: 0, items: ANALYZE_AFTER_ADDED })).resolves.toBe(true);
      const analyzed = await analyzedAt(data);
      expect(Object.keys(analyzed).sort()).toEqual(['hosts', 'items']);
      for (const at of Object.values(analyzed)) expect(new Date(at!).getTime()).toBeGreaterThanOrEqual(now.getTime());
    },
  );

  it('ends a pull whose item batch failed in error once every write in flight has ended, keeping what it wrote', async () => {
    // Three item batches of 100 hosts; the second one's item.get fails. On PostgreSQL two batches are written at once.
    const failing = await ZabbixInventoryFixture.start(300, 2);
    failing.refusedItemsOf.add('20150');
    try {
      const monitorId = await createMonitor(failing.url, failing.password);
      const res = await api().post(`/monitors/${monitorId}/hosts/pull`);
      expect(res.status).toBe(502);
      const data = t.app.get(DataSource);
      const monitor = await data.getRepository(Monitor).findOneByOrFail({ id: monitorId });
      expect(monitor).toMatchObject({ status: SyncStatus.Error });
      expect(monitor.statusDescription).toContain('No permissions to referred object.');
      const hosts = await data.getRepository(Host).findBy({ monitorId });
      expect(hosts).toHaveLength(300);
      const idOf = new Map(hosts.map((host) => [host.externalId, host.id]));
      const written = async (externalHostId: string) =>
        data.getRepository(Item).countBy({ hostId: idOf.get(externalHostId) });
      expect(await written('20000')).toBe(2);
      expect(await written('20099')).toBe(2);
      expect(await written('20100')).toBe(0);
      expect(await written('20150')).toBe(0);
      // Nothing is written once the pull has answered: the item count stays as it was.
      const after = await data.getRepository(Item).countBy({ hostId: In(hosts.map((host) => host.id)) });
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(await data.getRepository(Item).countBy({ hostId: In(hosts.map((host) => host.id)) })).toBe(after);
    } finally {
      await failing.close();
    }
  });

  describe('on a small monitor', () => {
    let small: ZabbixInventoryFixture;
    let monitorId: number;

    beforeAll(async () => {
      small = await ZabbixInventoryFixture.start(3, 2);
      monitorId = await createMonitor(small.url, small.password);
      expect((await api().post(`/monitors/${monitorId}/hosts/pull`)).status).toBe(200);
    });
    afterAll(() => small.close());

    const hostByExternal = async (externalId: string) =>
      (await t.app.get(DataSource).getRepository(Host).findOneByOrFail({ monitorId, externalId })) as Host;

    it('keeps a host that vanished from the monitor, in status 2 with the reason, and its items likewise', async () => {
      small.removeHost('20001');
      const res = await api().post(`/monitors/${monitorId}/hosts/pull`);
      expect(res.body).toMatchObject({ added: 0, updated: 0, unchanged: 2, vanished: 1, total: 2 });
      expect(res.body.items).toMatchObject({ vanished: 2, unchanged: 4, total: 4 });
      const again = await api().post(`/monitors/${monitorId}/hosts/pull`);
      expect(again.body).toMatchObject({ vanished: 0, unchanged: 2, items: { vanished: 0 } });
      const gone = await hostByExternal('20001');
      expect(gone).toMatchObject({ status: SyncStatus.Error, statusDescription: 'host not found on monitor' });
      expect((await hostByExternal('20000')).status).toBe(SyncStatus.Active);
    });

    it('pulls a change made on the monitor back into the host', async () => {
      small.hosts.get('20002')!.name = 'renamed on the monitor';
      const host = await hostByExternal('20002');
      const res = await api().post(`/monitors/${monitorId}/hosts/${host.id}/pull`);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ added: 0, updated: 1, unchanged: 0, vanished: 0, failed: 0, total: 1 });
      expect((await hostByExternal('20002')).name).toBe('renamed on the monitor');
    });

    it('marks an item that vanished when its host is pulled', async () => {
      const host = await hostByExternal('20000');
      const [first] = [...small.items.entries()].find(([, item]) => item.hostid === '20000')!;
      small.items.delete(first);
      const res = await api().post(`/monitors/${monitorId}/hosts/${host.id}/items/pull`);
      expect(res.body).toMatchObject({ added: 0, updated: 0, unchanged: 1, vanished: 1, total: 1 });
      const item = await t.app
        .get(DataSource)
        .getRepository(Item)
        .findOneByOrFail({ hostId: host.id, externalId: first });
      expect(item).toMatchObject({ status: SyncStatus.Error, statusDescription: 'item not found on monitor' });
    });

    it('refuses a second sync of the same monitor while one runs (409), and runs it afterwards', async () => {
      const [a, b] = await Promise.all([
        api().post(`/monitors/${monitorId}/hosts/pull`),
        api().post(`/monitors/${monitorId}/hosts/pull`),
      ]);
      expect([a.status, b.status].sort()).toEqual([200, 409]);
      expect((await api().post(`/monitors/${monitorId}/hosts/pull`)).status).toBe(200);
    });
  });

  it("answers each item's last_clock and state, filters by state, and counts unsupported items", async () => {
    const one = await ZabbixInventoryFixture.start(1, UNSUPPORTED_EVERY);
    try {
      const monitorId = await createMonitor(one.url, one.password);
      const pulled = await api().post(`/monitors/${monitorId}/hosts/pull`);
      expect(pulled.body.items).toMatchObject({ added: UNSUPPORTED_EVERY, unsupported: 1 });
      const hostId = (await api().get(`/monitors/${monitorId}/hosts`)).body.items[0].id;

      const items = (await api().get(`/items?host_id=${hostId}&limit=100`)).body.items;
      expect(items[0]).toMatchObject({
        last_value: '0',
        last_clock: new Date(FIXTURE_CLOCK * 1000).toISOString(),
        state: 'normal',
        state_error: '',
      });
      const unsupported = await api().get(`/items?host_id=${hostId}&state=not_supported`);
      expect(unsupported.body.total).toBe(1);
      expect(unsupported.body.items[0]).toMatchObject({
        last_value: null,
        last_clock: null,
        state: 'not_supported',
        state_error: UNSUPPORTED_ERROR,
      });
      expect((await api().get(`/items?host_id=${hostId}&state=normal`)).body.total).toBe(UNSUPPORTED_EVERY - 1);

      // The item is collected again: its state, value and clock are a change, written by the next pull.
      const itemid = unsupported.body.items[0].external_id as string;
      Object.assign(one.items.get(itemid)!, {
        state: '0',
        error: '',
        lastvalue: '5',
        lastclock: String(FIXTURE_CLOCK + 60),
      });
      const again = await api().post(`/monitors/${monitorId}/hosts/${hostId}/items/pull`);
      expect(again.body).toMatchObject({ updated: 1, unchanged: UNSUPPORTED_EVERY - 1, unsupported: 0 });
      expect((await api().get(`/items/${unsupported.body.items[0].id}`)).body).toMatchObject({
        state: 'normal',
        state_error: '',
        last_value: '5',
        last_clock: new Date((FIXTURE_CLOCK + 60) * 1000).toISOString(),
      });
    } finally {
      await one.close();
    }
  });

  it('answers 400 naming state for an unknown state filter', async () => {
    const res = await api().get('/items?state=broken');
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body.message)).toContain('state must be normal or not_supported');
  });

  it('answers 502 with the reason when the monitor refuses the credentials, never 401, and puts it in status 4', async () => {
    const monitorId = await createMonitor(fixture.url, 'wrong-password');
    const res = await api().post(`/monitors/${monitorId}/hosts/pull`);
    expect(res.status).toBe(502);
    expect(res.body.message).toMatch(/credentials|password/i);
    expect(JSON.stringify(res.body)).not.toContain('wrong-password');
    const monitor = await api().get(`/monitors/${monitorId}`);
    expect(monitor.body).toMatchObject({ status: SyncStatus.AuthFailed, status_description: res.body.message });
  });

  it('answers 502 when the monitor cannot be reached, and puts it in status 2', async () => {
    const monitorId = await createMonitor(`http://127.0.0.1:${await freePort()}`, 'any');
    const res = await api().post(`/monitors/${monitorId}/hosts/pull`);
    expect(res.status).toBe(502);
    expect(res.body.message).toMatch(/unreachable/i);
    expect((await api().get(`/monitors/${monitorId}`)).body.status).toBe(SyncStatus.Error);
  });

  it('refuses a push whose technical name another host of the monitor has, before calling it (409 naming both)', async () => {
    // The monitor cannot be reached: a 409 rather than a 502 proves the check ran before any call.
    const monitorId = await createMonitor(`http://127.0.0.1:${await freePort()}`, 'any');
    const hosts = t.app.get(DataSource).getRepository(Host);
    const holder = await hosts.save({ name: 'a/b', technicalName: 'a_b', monitorId, externalId: '10500' });
    const local = await hosts.save({ name: 'a_b', monitorId: null });
    const res = await api().post(`/monitors/${monitorId}/hosts/${local.id}/push`);
    expect(res.status).toBe(409);
    expect(res.body.message).toBe(
      `Host ${local.id} "a_b" cannot be pushed to monitor ${monitorId}: its technical name "a_b" is already taken ` +
        `by host ${holder.id} "a/b". Give it another technical_name.`,
    );
    expect((await api().get(`/monitors/${monitorId}`)).body.status).toBe(SyncStatus.Inactive);
    expect(await hosts.findOneByOrFail({ id: local.id })).toMatchObject({ monitorId: null, externalId: null });
  });

  it('answers 404 to a push of an item that is not on the host, before pushing the host (found by the chaos fuzz)', async () => {
    const small = await ZabbixInventoryFixture.start(1, 1);
    acceptPushes(small);
    try {
      const monitorId = await createMonitor(small.url, small.password);
      const hosts = t.app.get(DataSource).getRepository(Host);
      const local = await hosts.save({ name: 'local-only', monitorId: null });
      const other = await hosts.save({ name: 'other-local', monitorId: null });
      const item = await t.app.get(DataSource).getRepository(Item).save({ name: 'i', key: 'k', hostId: other.id });

      const res = await api().post(`/monitors/${monitorId}/hosts/${local.id}/items/${item.id}/push`);
      expect(res.status).toBe(404);
      expect(res.body.message).toBe(`Item ${item.id} not found on host ${local.id}`);
      expect(await hosts.findOneByOrFail({ id: local.id })).toMatchObject({ monitorId: null, externalId: null });
      expect(small.fake.calls('host.create')).toHaveLength(0);

      // The same push on the item's own host goes through: host first, then the item.
      expect((await api().post(`/monitors/${monitorId}/hosts/${other.id}/items/${item.id}/push`)).status).toBe(200);
      expect(await hosts.findOneByOrFail({ id: other.id })).toMatchObject({
        monitorId,
        externalId: expect.any(String),
      });
      expect(small.fake.calls('host.create')).toHaveLength(1);
    } finally {
      await small.close();
    }
  });

  it('re-logs in once when the monitor ended the session, and the pull succeeds', async () => {
    const small = await ZabbixInventoryFixture.start(1, 1);
    try {
      const monitorId = await createMonitor(small.url, small.password);
      expect((await api().post(`/monitors/${monitorId}/hosts/pull`)).status).toBe(200);
      small.fake.endSessions();
      const res = await api().post(`/monitors/${monitorId}/hosts/pull`);
      expect(res.status).toBe(200);
      expect(small.fake.issued.length).toBe(2);
    } finally {
      await small.close();
    }
  });

  it("keeps the session token a pull logged in with in the monitor's row, encrypted (the injected token store)", async () => {
    const small = await ZabbixInventoryFixture.start(1, 1);
    try {
      const monitorId = await createMonitor(small.url, small.password);
      expect((await api().post(`/monitors/${monitorId}/hosts/pull`)).status).toBe(200);
      const row = await t.app.get(DataSource).getRepository(Monitor).findOneByOrFail({ id: monitorId });
      expect(row.authTokenEncrypted).not.toContain(small.fake.issued[0]);
      expect(t.app.get(CredentialsCipher).decrypt(row.authTokenEncrypted as string)).toBe(small.fake.issued[0]);
    } finally {
      await small.close();
    }
  });

  it('answered every request of this suite with a status and a body its OpenAPI document gives', () => {
    expect(documented.checked).toBeGreaterThan(5);
    expect(documented.problems()).toEqual([]);
  });
});
