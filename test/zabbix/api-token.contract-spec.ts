import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { SyncStatus } from '../../src/monitors/entities/sync-status';
import { waitForTask } from '../support/queue-helpers';
import { startTestApp, type TestApp } from '../support/test-app';
import { describeZabbix, runId, ZabbixApi, type ZabbixEnv } from '../support/zabbix';
import { SlowZabbixProxy } from '../support/zabbix-fakes';

/*
 * Monitors that carry only an API token, against a real Zabbix (6.0: token in the body's auth; 7.0: Bearer). The
 * tokens belong to a Zabbix user of this run whose password the service is never given, and every call goes
 * through a loopback proxy that counts the methods, so "no user.login" is seen on the wire. Everything created in
 * Zabbix (tokens, the user, its group) is deleted in afterAll.
 */
describeZabbix('API tokens against a real Zabbix (contract)', (env: ZabbixEnv) => {
  const run = runId();
  let zabbix: ZabbixApi;
  let t: TestApp;
  let token: string;
  let proxy: SlowZabbixProxy;
  let userId: string;
  const cleanup = { tokenIds: [] as string[], userIds: [] as string[], userGroupIds: [] as string[] };

  const http = {
    get: (path: string) => request(t.http).get(`/api/v1${path}`).set('Authorization', `Bearer ${token}`),
    post: (path: string, body?: object) =>
      request(t.http).post(`/api/v1${path}`).set('Authorization', `Bearer ${token}`).send(body),
  };

  /** A token of this run's user, made with token.create and token.generate. */
  async function apiToken(): Promise<{ tokenid: string; token: string }> {
    const { tokenids } = await zabbix.call<{ tokenids: string[] }>('token.create', {
      name: `nagare-contract-${run}-${cleanup.tokenIds.length + 1}`,
      userid: userId,
    });
    cleanup.tokenIds.push(tokenids[0]);
    const [generated] = await zabbix.call<{ tokenid: string; token: string }[]>('token.generate', tokenids);
    return generated;
  }

  async function tokenMonitor(secret: string): Promise<number> {
    const res = await http.post('/monitors', {
      name: `Nagare contract ${run} ${randomBytes(2).toString('hex')}`,
      url: proxy.url,
      type: 'zabbix',
      api_token: secret,
    });
    if (res.status !== 201) throw new Error(`creating a monitor failed: ${res.status} ${res.text}`);
    return res.body.id;
  }

  beforeAll(async () => {
    zabbix = await ZabbixApi.login(env);
    t = await startTestApp({ TASK_BACKOFF_MS: '20' });
    token = await t.login();
    proxy = await SlowZabbixProxy.start(env.url.replace(/\/+$/, '').replace(/\/api_jsonrpc\.php$/, ''));

    const { usrgrpids } = await zabbix.call<{ usrgrpids: string[] }>('usergroup.create', {
      name: `Nagare contract ${run} tokens`,
    });
    cleanup.userGroupIds.push(usrgrpids[0]);
    const [{ roleid }] = await zabbix.call<{ roleid: string }[]>('role.get', {
      output: ['roleid'],
      filter: { type: 1 },
      sortfield: 'roleid',
      limit: 1,
    });
    ({
      userids: [userId],
    } = await zabbix.call<{ userids: string[] }>('user.create', {
      username: `nagare-contract-${run}-token-owner`,
      // Never given to the service: it can only have used the token.
      passwd: `Ng-${randomBytes(12).toString('hex')}`,
      roleid,
      usrgrps: [{ usrgrpid: usrgrpids[0] }],
    }));
    cleanup.userIds.push(userId);
  });

  afterAll(async () => {
    if (proxy) await proxy.close();
    if (t) await t.close();
    if (!zabbix) return;
    const problems: string[] = [];
    const attempt = (what: string, work: () => Promise<unknown>) =>
      work().catch((error: Error) => problems.push(`${what}: ${error.message}`));
    const left = await zabbix.call<{ tokenid: string }[]>('token.get', {
      output: ['tokenid'],
      tokenids: cleanup.tokenIds,
    });
    if (left.length)
      await attempt('token.delete', () =>
        zabbix.call(
          'token.delete',
          left.map((x) => x.tokenid),
        ),
      );
    if (cleanup.userIds.length) await attempt('user.delete', () => zabbix.call('user.delete', cleanup.userIds));
    if (cleanup.userGroupIds.length) {
      await attempt('usergroup.delete', () => zabbix.call('usergroup.delete', cleanup.userGroupIds));
    }
    await zabbix.close();
    if (problems.length) throw new Error(`cleanup failed: ${problems.join('; ')}`);
  });

  it('checks and syncs a monitor that has only a token, with no user.login or user.logout', async () => {
    const monitorId = await tokenMonitor((await apiToken()).token);
    const hostGets = proxy.count('host.get');
    const bearerGets = proxy.countWithBearer('host.get');

    const check = await http.post(`/monitors/${monitorId}/check`);
    expect(check.body).toMatchObject({
      status: SyncStatus.Active,
      status_description: `Connected to zabbix ${zabbix.version}`,
    });
    const pull = await http.post(`/monitors/${monitorId}/hosts/pull`);
    expect(pull.status).toBe(200);

    expect(proxy.count('host.get') - hostGets).toBe(2);
    // 6.0 reads the token from the body's auth only; 7.0 is sent it as Bearer (the body's auth is deprecated there).
    const [major, minor] = zabbix.version.split('.').map(Number);
    const bearer = major > 6 || (major === 6 && minor >= 4);
    expect(proxy.countWithBearer('host.get') - bearerGets).toBe(bearer ? 2 : 0);
    expect(proxy.count('user.login')).toBe(0);
    expect(proxy.count('user.logout')).toBe(0);
  });

  const revocations: [string, string, (tokenid: string) => Promise<unknown>][] = [
    ['deleted', 'Not authorized.', (tokenid) => zabbix.call('token.delete', [tokenid])],
    ['disabled', 'Not authorized.', (tokenid) => zabbix.call('token.update', { tokenid, status: 1 })],
    ['expired', 'API token expired.', (tokenid) => zabbix.call('token.update', { tokenid, expires_at: 1_000_000 })],
  ];

  it.each(revocations)(
    'gives a monitor whose token was %s auth_failed with Zabbix reason, after one attempt only',
    async (_how, reason, revoke) => {
      const { tokenid, token: secret } = await apiToken();
      const monitorId = await tokenMonitor(secret);
      expect((await http.post(`/monitors/${monitorId}/hosts/pull`)).status).toBe(200);
      await revoke(tokenid);
      const expected = `Monitor refused the API token: ${reason}`;
      const hostGets = proxy.count('host.get');

      const queued = await http.post(`/monitors/${monitorId}/hosts/pull-async`);
      expect(queued.status).toBe(202);
      const task = await waitForTask(t.http, token, queued.body.task_id, 'dead', 20_000);
      expect(task).toMatchObject({ error: expected, attempts_made: 1 });
      expect(proxy.count('host.get') - hostGets).toBe(1);
      expect((await http.get(`/monitors/${monitorId}`)).body).toMatchObject({
        status: SyncStatus.AuthFailed,
        status_description: expected,
      });
      expect(proxy.count('user.login')).toBe(0);
      expect(t.systemLog()).not.toContain(secret);
    },
  );
});
