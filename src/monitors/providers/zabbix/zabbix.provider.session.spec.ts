import { FakeRpcError, fakeHost, SESSION_TERMINATED } from '../../../../test/support/zabbix';
import { failure, useZabbixProviderHarness } from '../../../../test/support/zabbix-provider-harness';
import { MonitorApiError, MonitorAuthenticationError, MonitorUnreachableError } from '../provider-errors';
import { ZabbixProvider } from './zabbix.provider';

describe(`${ZabbixProvider.name}: version, login and sessions`, () => {
  const { logs, setup } = useZabbixProviderHarness();

  describe('version and login', () => {
    it('sends apiinfo.version and user.login without a token', async () => {
      const { fake, provider, target } = await setup();
      await provider.listHosts(target);
      for (const request of [...fake.calls('apiinfo.version'), ...fake.calls('user.login')]) {
        expect(request.auth).toBeUndefined();
        expect(request.headers.authorization).toBeUndefined();
      }
      expect(fake.calls('user.login')).toHaveLength(1);
    });

    it('sends the token in the body auth field to Zabbix 6.0, never in a header', async () => {
      const { fake, provider, target } = await setup({ version: '6.0.14' });
      await provider.listHosts(target);
      const [hostGet] = fake.calls('host.get');
      expect(hostGet.auth).toBe(fake.issued[0]);
      expect(hostGet.headers.authorization).toBeUndefined();
    });

    it('sends the token as Authorization Bearer to Zabbix 6.4, never in the body', async () => {
      const { fake, provider, target } = await setup({ version: '6.4.0' });
      await provider.listHosts(target);
      const [hostGet] = fake.calls('host.get');
      expect(hostGet.bearer).toBe(fake.issued[0]);
      expect(hostGet.auth).toBeUndefined();
      expect(JSON.parse(hostGet.raw)).not.toHaveProperty('auth');
    });

    it.each([
      ['username', '5.4 and later', '6.0.14'],
      ['user', 'servers older than 5.4', '5.2.7'],
    ])('logs in with %s on %s (%s)', async (field, _servers, version) => {
      const { fake, provider, target } = await setup({ version });
      await provider.check(target);
      expect(fake.calls('user.login')[0].params).toEqual({ [field]: fake.username, password: fake.password });
    });

    it('falls back to user when the server refuses the username parameter', async () => {
      const { fake, provider, target } = await setup({ version: '6.0.0', loginFields: ['user'] });
      await expect(provider.check(target)).resolves.toEqual({ version: '6.0.0' });
      expect(fake.calls('user.login').map((request) => Object.keys(request.params)[0])).toEqual(['username', 'user']);
    });

    it('asks apiinfo.version once per monitor URL, and again on check', async () => {
      const { fake, provider, target } = await setup();
      await provider.listHosts(target);
      await provider.listHosts({ ...target, monitorId: 8 });
      expect(fake.calls('apiinfo.version')).toHaveLength(1);
      await provider.check(target);
      expect(fake.calls('apiinfo.version')).toHaveLength(2);
    });

    it('answers check with the server version after logging in', async () => {
      const { fake, provider, target } = await setup({ version: '6.0.14' });
      await expect(provider.check(target)).resolves.toEqual({ version: '6.0.14' });
      expect(fake.calls('host.get')[0].auth).toBe(fake.issued[0]);
    });

    it('fails with MonitorAuthenticationError carrying Zabbix reason when the password is wrong', async () => {
      const { fake, provider, target } = await setup();
      const error = await failure(provider.check({ ...target, password: 'not-the-password' }));
      expect(error).toBeInstanceOf(MonitorAuthenticationError);
      expect(error.message).toBe(
        'Monitor rejected the credentials: Incorrect user name or password or account is temporarily blocked.',
      );
      expect(fake.calls('host.get')).toHaveLength(0);
    });

    it('rejects a user.login result that is not a token as a malformed reply', async () => {
      const { fake, provider, target } = await setup();
      fake.raw((request, response, body) => {
        const { method, id } = JSON.parse(body);
        const result = method === 'apiinfo.version' ? '6.0.14' : 42;
        response
          .writeHead(200, { 'Content-Type': 'application/json' })
          .end(JSON.stringify({ jsonrpc: '2.0', result, id }));
      });
      const error = await failure(provider.check(target));
      expect(error).toBeInstanceOf(MonitorApiError);
      expect(error.message).toBe('Monitor sent a malformed reply to user.login: the result is not a session token');
    });

    it('rejects an apiinfo.version result that is not a version as a malformed reply', async () => {
      const { fake, provider, target } = await setup();
      fake.raw((_request, response) =>
        response.writeHead(200).end(JSON.stringify({ jsonrpc: '2.0', result: { version: 6 }, id: 1 })),
      );
      await expect(provider.check(target)).rejects.toThrow(
        new MonitorApiError('Monitor sent a malformed reply to apiinfo.version: the result is not a version'),
      );
    });
  });

  describe('sessions', () => {
    it('reuses the token the caller kept, without logging in', async () => {
      const { fake, provider, target } = await setup();
      await new ZabbixProvider().check(target);
      const kept = fake.issued[0];
      await provider.listHosts({ ...target, authToken: kept });
      expect(fake.calls('user.login')).toHaveLength(1);
      expect(fake.calls('host.get').at(-1)?.auth).toBe(kept);
    });

    it('reuses its cached session across calls', async () => {
      const { fake, provider, target } = await setup();
      await provider.listHosts(target);
      await provider.listHosts(target);
      await provider.check(target);
      expect(fake.calls('user.login')).toHaveLength(1);
    });

    it('shares one login among concurrent calls for a monitor', async () => {
      const { fake, provider, target } = await setup();
      await Promise.all(Array.from({ length: 5 }, () => provider.listHosts(target)));
      expect(fake.calls('user.login')).toHaveLength(1);
    });

    it('logs in again once when Zabbix says the session terminated, and retries the call', async () => {
      const { fake, provider, target, tokens } = await setup();
      await provider.listHosts(target);
      fake.endSessions();
      await expect(provider.listHosts(target)).resolves.toEqual([expect.objectContaining({ externalId: '10084' })]);
      expect(fake.calls('user.login')).toHaveLength(2);
      expect(fake.calls('host.get').map((request) => request.auth)).toEqual([
        fake.issued[0],
        fake.issued[0],
        fake.issued[1],
      ]);
      expect(tokens).toEqual([fake.issued[0], fake.issued[1]]);
    });

    it('logs in again when the kept token is unknown to Zabbix ("Not authorized" counts too)', async () => {
      const { fake, provider, target } = await setup();
      fake.on('host.get', (request, server) => {
        if (request.auth === 'stale-token') throw new FakeRpcError('Not authorised.');
        return server.issued.length ? [fakeHost('1')] : [];
      });
      await expect(provider.listHosts({ ...target, authToken: 'stale-token' })).resolves.toHaveLength(1);
      expect(fake.calls('user.login')).toHaveLength(1);
    });

    it('fails with MonitorAuthenticationError when the session ends again right after the new login', async () => {
      const { fake, provider, target, tokens } = await setup();
      fake.on('host.get', () => {
        throw new FakeRpcError(SESSION_TERMINATED);
      });
      const error = await failure(provider.listHosts(target));
      expect(error).toBeInstanceOf(MonitorAuthenticationError);
      expect(error.message).toBe(
        'Monitor ended the session again right after a new login: Session terminated, re-login, please.',
      );
      expect(fake.calls('user.login')).toHaveLength(2);
      expect(fake.calls('host.get')).toHaveLength(2);
      expect(tokens).toEqual([fake.issued[0], fake.issued[1], null]);
    });

    it('tells the listener null when the session ended and the new login is refused', async () => {
      const { fake, provider, target, tokens } = await setup();
      // Another process logged in and kept the token; then the session ended and the password was changed.
      await new ZabbixProvider().check(target);
      fake.endSessions();
      const error = await failure(provider.listHosts({ ...target, authToken: fake.issued[0], password: 'changed' }));
      expect(error).toBeInstanceOf(MonitorAuthenticationError);
      expect(fake.calls('host.get').at(-1)?.auth).toBe(fake.issued[0]);
      expect(tokens).toEqual([null]);
    });

    it('logs in afresh when the monitor credentials changed', async () => {
      const { fake, provider, target } = await setup();
      await provider.listHosts(target);
      // Same account, new URL spelling: a different endpoint string means a different session.
      await provider.listHosts({ ...target, url: `${fake.url}/api_jsonrpc.php`, authToken: fake.issued[0] });
      expect(fake.calls('user.login')).toHaveLength(1);
      const error = await failure(provider.listHosts({ ...target, password: 'new-password' }));
      expect(error).toBeInstanceOf(MonitorAuthenticationError);
      expect(fake.calls('user.login')).toHaveLength(2);
    });

    it('keeps working when the token store fails, and logs why without the token', async () => {
      const { fake, target } = await setup();
      const provider = new ZabbixProvider(
        {},
        {
          keep: async (_id, token) => {
            throw new Error(`database down while storing ${token}`);
          },
        },
      );
      await expect(provider.listHosts(target)).resolves.toHaveLength(1);
      const line = logs.lines.find((entry) => entry.includes('Could not keep the Zabbix session of monitor 7'));
      expect(line).toMatch(/monitor 7: Error\b/);
      expect(line).not.toContain('database down');
      expect(line).not.toContain(fake.issued[0]);
    });
  });

  describe('transport failures', () => {
    it('fails as unreachable within the configured timeout', async () => {
      const { fake, provider, target } = await setup({}, { timeoutMs: 250 });
      fake.raw(() => undefined);
      const started = Date.now();
      const error = await failure(provider.listHosts(target));
      expect(Date.now() - started).toBeLessThan(1_500);
      expect(error).toBeInstanceOf(MonitorUnreachableError);
      expect(error.message).toBe('Monitor unreachable: no reply to apiinfo.version within 250 ms');
    });

    it('times out a call after login too', async () => {
      const { fake, provider, target } = await setup({}, { timeoutMs: 250 });
      fake.on('host.get', () => new Promise(() => undefined));
      await provider.check(target).catch(() => undefined);
      fake.raw((_request, _response, body) => {
        if (!body.includes('host.get')) throw new Error('unexpected request');
      });
      await expect(provider.listHosts(target)).rejects.toThrow(
        new MonitorUnreachableError('Monitor unreachable: no reply to host.get within 250 ms'),
      );
    });
  });
});
