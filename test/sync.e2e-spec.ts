import { DataSource } from 'typeorm';
import request from 'supertest';
import { Host } from '../src/monitors/entities/host.entity';
import { Item } from '../src/monitors/entities/item.entity';
import { SyncStatus } from '../src/monitors/entities/sync-status';
import { freePort } from './support/redis-server';
import { startTestApp, type TestApp } from './support/test-app';
import { ZabbixInventoryFixture } from './support/zabbix-inventory-fixture';

/**
 * The sync services through the synchronous endpoints, against a Zabbix-compatible fixture that can hold a big
 * inventory and be changed between pulls. The same round trip against a real Zabbix is test/zabbix/.
 */
describe('sync (e2e)', () => {
  let t: TestApp;
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
    token = await t.login();
    fixture = await ZabbixInventoryFixture.start(2000, 10);
  });
  afterAll(async () => {
    await fixture.close();
    await t.close();
  });

  it('pulls 2,000 hosts × 10 items in one go, and a second pull adds nothing', async () => {
    const monitorId = await createMonitor(fixture.url, fixture.password);

    const first = await api().post(`/monitors/${monitorId}/hosts/pull`);
    expect(first.status).toBe(200);
    expect(first.body).toEqual({
      added: 2000,
      updated: 0,
      failed: 0,
      total: 2000,
      items: { added: 20_000, updated: 0, failed: 0, total: 20_000 },
    });
    // item.get asks for many hosts per call: 2,000 hosts in batches, not 2,000 calls.
    expect(fixture.fake.calls('item.get').length).toBeLessThanOrEqual(20);

    const second = await api().post(`/monitors/${monitorId}/hosts/pull`);
    expect(second.body).toMatchObject({ added: 0, updated: 2000, items: { added: 0, updated: 20_000 } });

    const data = t.app.get(DataSource);
    expect(await data.getRepository(Host).countBy({ monitorId })).toBe(2000);
    expect(await data.getRepository(Item).count()).toBe(20_000);
    const monitor = await api().get(`/monitors/${monitorId}`);
    expect(monitor.body).toMatchObject({ status: SyncStatus.Active, last_sync_at: expect.any(String) });
    const groups = await api().get('/groups');
    expect(groups.body.filter((group: { monitor_id: number }) => group.monitor_id === monitorId)).toHaveLength(5);
    const host = await api().get(`/hosts?monitor_id=${monitorId}&q=Host%2020007`);
    expect(host.body.items[0]).toMatchObject({ name: 'Host 20007', ip_addr: '10.0.0.7', external_id: '20007' });
  }, 180_000);

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
      expect(res.body).toMatchObject({ added: 0, updated: 2, total: 2 });
      const gone = await hostByExternal('20001');
      expect(gone).toMatchObject({ status: SyncStatus.Error, statusDescription: 'host not found on monitor' });
      expect((await hostByExternal('20000')).status).toBe(SyncStatus.Active);
    });

    it('pulls a change made on the monitor back into the host', async () => {
      small.hosts.get('20002')!.name = 'renamed on the monitor';
      const host = await hostByExternal('20002');
      const res = await api().post(`/monitors/${monitorId}/hosts/${host.id}/pull`);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ added: 0, updated: 1, failed: 0, total: 1 });
      expect((await hostByExternal('20002')).name).toBe('renamed on the monitor');
    });

    it('marks an item that vanished when its host is pulled', async () => {
      const host = await hostByExternal('20000');
      const [first] = [...small.items.entries()].find(([, item]) => item.hostid === '20000')!;
      small.items.delete(first);
      const res = await api().post(`/monitors/${monitorId}/hosts/${host.id}/items/pull`);
      expect(res.body).toMatchObject({ added: 0, updated: 1, total: 1 });
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

  it('answers 502 with the reason when the monitor refuses the credentials, never 401, and puts it in status 2', async () => {
    const monitorId = await createMonitor(fixture.url, 'wrong-password');
    const res = await api().post(`/monitors/${monitorId}/hosts/pull`);
    expect(res.status).toBe(502);
    expect(res.body.message).toMatch(/credentials|password/i);
    expect(JSON.stringify(res.body)).not.toContain('wrong-password');
    const monitor = await api().get(`/monitors/${monitorId}`);
    expect(monitor.body).toMatchObject({ status: SyncStatus.Error, status_description: res.body.message });
  });

  it('answers 502 when the monitor cannot be reached, and puts it in status 2', async () => {
    const monitorId = await createMonitor(`http://127.0.0.1:${await freePort()}`, 'any');
    const res = await api().post(`/monitors/${monitorId}/hosts/pull`);
    expect(res.status).toBe(502);
    expect(res.body.message).toMatch(/unreachable/i);
    expect((await api().get(`/monitors/${monitorId}`)).body.status).toBe(SyncStatus.Error);
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
});
