import request from 'supertest';
import { startTestApp, type TestApp } from '../support/test-app';
import { describeZabbix, eventually, runId, ZabbixApi, type ZabbixEnv } from '../support/zabbix';
import { sendValues } from '../support/zabbix-sender';

/*
 * Issue 22 items 3, 7 and 8 against a real Zabbix (6.0 and 7.0 in CI): an item's last_clock, its state
 * (not_supported with Zabbix's error), and sync results that tell added, updated, unchanged and vanished rows
 * apart. A host is pushed through the API, then given trapper items in Zabbix; values reach them through the
 * server's trapper, and a non-numeric value sent to a numeric item makes the server mark it not supported.
 * Everything created in Zabbix is deleted in afterAll.
 */
interface ZabbixItem {
  itemid: string;
  lastvalue: string;
  lastclock: string;
  state: string;
  error: string;
}

describeZabbix('Item clock, state and sync counts against a real Zabbix (contract)', (env: ZabbixEnv) => {
  const run = runId();
  let zabbix: ZabbixApi;
  let t: TestApp;
  let token: string;
  let monitorId: number;
  let hostId: number;
  const remote = { hostid: '', technicalName: '', collected: '', never: '', unsupported: '' };
  const keys = { collected: `nagare.collected[${run}]`, never: `nagare.never[${run}]`, bad: `nagare.bad[${run}]` };

  const http = {
    get: (path: string) => request(t.http).get(`/api/v1${path}`).set('Authorization', `Bearer ${token}`),
    post: (path: string, body?: object) =>
      request(t.http).post(`/api/v1${path}`).set('Authorization', `Bearer ${token}`).send(body),
  };

  const zabbixItem = async (itemid: string): Promise<ZabbixItem> => {
    const [item] = await zabbix.call<ZabbixItem[]>('item.get', {
      itemids: [itemid],
      output: ['itemid', 'lastvalue', 'lastclock', 'state', 'error'],
    });
    return item;
  };

  /** Sends the value until Zabbix shows the item as `done` says (new items reach the server at a cache refresh). */
  async function sendUntil(key: string, value: string, itemid: string, done: (item: ZabbixItem) => boolean) {
    await eventually(
      `${key} = ${value} to reach Zabbix`,
      async () => {
        await sendValues(env.trapperPort as number, [{ host: remote.technicalName, key, value }]);
        return done(await zabbixItem(itemid)) ? true : undefined;
      },
      90_000,
    );
  }

  const pullItems = () => http.post(`/monitors/${monitorId}/hosts/${hostId}/items/pull`);
  const localItem = async (itemid: string) => {
    const res = await http.get(`/hosts/${hostId}/items?limit=100`);
    return res.body.items.find((item: { external_id: string }) => item.external_id === itemid);
  };

  beforeAll(async () => {
    if (env.trapperPort === null) {
      throw new Error('ZABBIX_TRAPPER_PORT is not set: the scripts that bring Zabbix up print it beside ZABBIX_URL');
    }
    zabbix = await ZabbixApi.login(env);
    t = await startTestApp();
    token = await t.login();
    const monitor = await http.post('/monitors', {
      name: `Nagare mirror ${run}`,
      url: env.url,
      type: 'zabbix',
      username: env.user,
      password: env.password,
    });
    monitorId = monitor.body.id;
    const host = await http.post('/hosts', {
      name: `nagare-mirror-${run}`,
      monitor_id: monitorId,
      ip_addr: '127.0.2.77',
    });
    hostId = host.body.id;
    expect((await http.post(`/monitors/${monitorId}/hosts/${hostId}/push`)).status).toBe(200);
    remote.hostid = (await http.get(`/hosts/${hostId}`)).body.external_id;
    const [zhost] = await zabbix.call<{ host: string }[]>('host.get', { hostids: [remote.hostid], output: ['host'] });
    remote.technicalName = zhost.host;

    // Trapper items (type 2) of numeric unsigned type (3).
    const { itemids } = await zabbix.call<{ itemids: string[] }>(
      'item.create',
      [keys.collected, keys.never, keys.bad].map((key) => ({
        hostid: remote.hostid,
        name: `Nagare ${key}`,
        key_: key,
        type: 2,
        value_type: 3,
      })),
    );
    [remote.collected, remote.never, remote.unsupported] = itemids;
    await sendUntil(keys.collected, '42', remote.collected, (item) => item.lastclock !== '0');
    await sendUntil(keys.bad, 'n/a', remote.unsupported, (item) => item.state === '1');
  }, 200_000);

  afterAll(async () => {
    if (!zabbix) return;
    if (remote.hostid) await zabbix.call('host.delete', [remote.hostid]);
    await zabbix.close();
    await t?.close();
  });

  it('stores lastclock as last_clock beside last_value, null for an item that never received one', async () => {
    const res = await pullItems();
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ added: 3, updated: 0, unchanged: 0, vanished: 0, failed: 0, total: 3 });

    const zabbixCollected = await zabbixItem(remote.collected);
    expect(await localItem(remote.collected)).toMatchObject({
      last_value: '42',
      last_clock: new Date(Number(zabbixCollected.lastclock) * 1000).toISOString(),
      state: 'normal',
      state_error: '',
    });
    expect(await localItem(remote.never)).toMatchObject({ last_value: null, last_clock: null, state: 'normal' });
  });

  it("stores an unsupported item's state and Zabbix's error, filterable, and counts it in the result", async () => {
    const zabbixBad = await zabbixItem(remote.unsupported);
    expect(zabbixBad.error).not.toBe('');
    const res = await pullItems();
    expect(res.body.unsupported).toBe(1);

    const listed = await http.get(`/items?host_id=${hostId}&state=not_supported`);
    expect(listed.body.total).toBe(1);
    expect(listed.body.items[0]).toMatchObject({
      external_id: remote.unsupported,
      state: 'not_supported',
      state_error: zabbixBad.error,
    });
    expect((await http.get(`/items?host_id=${hostId}&state=normal`)).body.total).toBe(2);
  });

  it('counts unchanged rows apart from updated ones, and an item deleted in Zabbix as vanished once', async () => {
    await pullItems();
    const unchanged = await pullItems();
    expect(unchanged.body).toEqual({
      added: 0,
      updated: 0,
      unchanged: 3,
      vanished: 0,
      failed: 0,
      total: 3,
      unsupported: 1,
    });

    await sendUntil(keys.collected, '43', remote.collected, (item) => item.lastvalue === '43');
    const changed = await pullItems();
    expect(changed.body).toMatchObject({ added: 0, updated: 1, unchanged: 2, vanished: 0, total: 3 });
    expect((await localItem(remote.collected)).last_value).toBe('43');

    await zabbix.call('item.delete', [remote.never]);
    const vanished = await pullItems();
    expect(vanished.body).toMatchObject({ added: 0, updated: 0, unchanged: 2, vanished: 1, total: 2 });
    expect((await pullItems()).body).toMatchObject({ vanished: 0, unchanged: 2, total: 2 });
  }, 120_000);

  it('counts a host pull as unchanged when nothing changed in Zabbix, and updated when its name did', async () => {
    const pullHost = () => http.post(`/monitors/${monitorId}/hosts/${hostId}/pull`);
    await pullHost();
    expect((await pullHost()).body).toEqual({ added: 0, updated: 0, unchanged: 1, vanished: 0, failed: 0, total: 1 });
    await zabbix.call('host.update', { hostid: remote.hostid, name: `nagare-mirror-${run} renamed` });
    expect((await pullHost()).body).toEqual({ added: 0, updated: 1, unchanged: 0, vanished: 0, failed: 0, total: 1 });
  });
});
