import type { MonitorTarget } from '../monitor-provider';
import { isFinalFailure } from '../../../queue/task-errors';
import { failure, useZabbixProviderHarness } from '../../../../test/support/zabbix-provider-harness';
import { type FakeZabbix, FakeRpcError } from '../../../../test/support/zabbix';
import { MonitorTokenRefusedError } from '../provider-errors';
import { ZabbixProvider } from './zabbix.provider';

describe(`${ZabbixProvider.name}: API tokens`, () => {
  const { logs, setup } = useZabbixProviderHarness();

  /** A monitor that has only an API token: no username, no password. */
  async function tokenSetup(version: string) {
    const found = await setup({ version });
    const apiToken = found.fake.issueApiToken();
    const target: MonitorTarget = { ...found.target, username: '', password: '', apiToken };
    return { ...found, target, apiToken };
  }

  const logins = (fake: FakeZabbix) => [...fake.calls('user.login'), ...fake.calls('user.logout')];

  it('sends the API token in the body auth field to Zabbix 6.0, never in a header, and never logs in', async () => {
    const { fake, provider, target, apiToken, tokens } = await tokenSetup('6.0.14');
    await expect(provider.check(target)).resolves.toEqual({ version: '6.0.14' });
    await provider.listHosts(target);
    const hostGets = fake.calls('host.get');
    expect(hostGets).toHaveLength(2);
    for (const call of hostGets) {
      expect(call.auth).toBe(apiToken);
      expect(call.headers.authorization).toBeUndefined();
    }
    expect(logins(fake)).toEqual([]);
    expect(tokens).toEqual([]);
  });

  it('sends the API token as Authorization Bearer to Zabbix 7.0, never in the body, and never logs in', async () => {
    const { fake, provider, target, apiToken, tokens } = await tokenSetup('7.0.22');
    await provider.listHosts(target);
    const [hostGet] = fake.calls('host.get');
    expect(hostGet.bearer).toBe(apiToken);
    expect(JSON.parse(hostGet.raw)).not.toHaveProperty('auth');
    expect(logins(fake)).toEqual([]);
    expect(tokens).toEqual([]);
  });

  it('prefers the API token to a session kept from an earlier login', async () => {
    const { fake, provider, target, apiToken } = await tokenSetup('6.0.14');
    await provider.listHosts({ ...target, authToken: 'an-old-session' });
    expect(fake.calls('host.get')[0].auth).toBe(apiToken);
  });

  it.each([
    ['revoked', 'Not authorized.'],
    ['expired', 'API token expired.'],
  ] as const)(
    'fails once, finally and with Zabbix reason when the token is %s: no login, no second attempt',
    async (how, reason) => {
      const { fake, provider, target, apiToken } = await tokenSetup('7.0.22');
      fake.revokeApiToken(apiToken, how);
      const error = await failure(provider.listHosts(target));
      expect(error).toBeInstanceOf(MonitorTokenRefusedError);
      expect(error.message).toBe(`Monitor refused the API token: ${reason}`);
      expect(isFinalFailure(error)).toBe(true);
      expect(fake.calls('host.get')).toHaveLength(1);
      expect(logins(fake)).toEqual([]);
    },
  );

  it('names the refusal by its code when the server quotes the token, and logs no token', async () => {
    const { fake, provider, target, apiToken } = await tokenSetup('6.0.14');
    fake.on('host.get', (request) => {
      throw new FakeRpcError(`Not authorized: ${request.auth}`);
    });
    const error = await failure(provider.listHosts(target));
    expect(error).toBeInstanceOf(MonitorTokenRefusedError);
    expect(error.message).toBe('Monitor refused the API token: code -32602');
    expect(logs.lines.join('\n')).not.toContain(apiToken);
  });
});
