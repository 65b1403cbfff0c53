import { Logger, type LoggerService } from '@nestjs/common';
import {
  FakeRpcError,
  FakeZabbix,
  type FakeZabbixOptions,
  fakeHost,
  fakeItem,
  SESSION_TERMINATED,
} from '../../../../test/support/zabbix';
import type { HostDraft, ItemDraft, MonitorTarget } from '../monitor-provider';
import { MonitorApiError, MonitorAuthenticationError, MonitorUnreachableError } from '../provider-errors';
import { ZabbixProvider, type ZabbixProviderOptions } from './zabbix.provider';

/** Every line the provider logs, to prove none of them carries a secret. */
class CapturingLogger implements LoggerService {
  readonly lines: string[] = [];
  log = (...args: unknown[]) => this.lines.push(args.map(String).join(' '));
  error = this.log;
  warn = this.log;
  debug = this.log;
  verbose = this.log;
  fatal = this.log;
}

describe(ZabbixProvider.name, () => {
  const logs = new CapturingLogger();
  const fakes: FakeZabbix[] = [];

  beforeAll(() => Logger.overrideLogger(logs));
  afterAll(() => Logger.overrideLogger(new Logger()));
  afterEach(async () => {
    await Promise.all(fakes.splice(0).map((fake) => fake.close()));
  });

  interface Setup {
    fake: FakeZabbix;
    provider: ZabbixProvider;
    target: MonitorTarget;
    /** What the token listener was told, in order. */
    tokens: (string | null)[];
  }

  async function setup(fakeOptions: FakeZabbixOptions = {}, options: ZabbixProviderOptions = {}): Promise<Setup> {
    const fake = await FakeZabbix.start(fakeOptions);
    fakes.push(fake);
    const tokens: (string | null)[] = [];
    const provider = new ZabbixProvider(options);
    provider.setTokenListener((_monitorId, token) => {
      tokens.push(token);
    });
    fake.on('host.get', () => [fakeHost('10084')]);
    const target = targetFor(fake);
    return { fake, provider, target, tokens };
  }

  function targetFor(fake: FakeZabbix, overrides: Partial<MonitorTarget> = {}): MonitorTarget {
    return { monitorId: 7, url: fake.url, username: fake.username, password: fake.password, ...overrides };
  }

  const hostDraft = (overrides: Partial<HostDraft> = {}): HostDraft => ({
    name: 'Web 01',
    description: 'front web server',
    ipAddr: '10.1.2.3',
    enabled: true,
    groupName: 'Web servers',
    ...overrides,
  });

  const itemDraft = (overrides: Partial<ItemDraft> = {}): ItemDraft => ({
    name: 'Requests',
    key: 'web.requests',
    valueType: 3,
    units: 'rps',
    description: 'requests per second',
    enabled: true,
    ...overrides,
  });

  const failure = (promise: Promise<unknown>): Promise<Error> =>
    promise.then(
      () => {
        throw new Error('expected a failure');
      },
      (error: Error) => error,
    );

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

    it('logs in with username on 5.4 and later', async () => {
      const { fake, provider, target } = await setup({ version: '6.0.14' });
      await provider.check(target);
      expect(fake.calls('user.login')[0].params).toEqual({ username: fake.username, password: fake.password });
    });

    it('logs in with user on servers older than 5.4', async () => {
      const { fake, provider, target } = await setup({ version: '5.2.7' });
      await provider.check(target);
      expect(fake.calls('user.login')[0].params).toEqual({ user: fake.username, password: fake.password });
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

    it('keeps working when the token listener throws, and logs why without the token', async () => {
      const { fake, provider, target } = await setup();
      provider.setTokenListener((_id, token) => {
        throw new Error(`database down while storing ${token}`);
      });
      await expect(provider.listHosts(target)).resolves.toHaveLength(1);
      const line = logs.lines.find((entry) => entry.includes('Could not keep the Zabbix session of monitor 7'));
      expect(line).toContain('database down while storing ***');
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

  describe('secrets', () => {
    const PASSWORD = 'S3cret-"pass"\\word';

    it('never puts the password or the session token in an error message, a stack or a log line', async () => {
      const { fake, provider, target } = await setup({ password: PASSWORD });
      await provider.listHosts(target);
      const token = fake.issued[0];
      logs.lines.length = 0;

      const errors: Error[] = [];
      // Zabbix quoting the request back in an error, as some validation messages do.
      fake.on('host.get', (request) => {
        throw new FakeRpcError(`Invalid parameter: ${request.raw} auth=${token} password=${PASSWORD}`);
      });
      errors.push(await failure(provider.listHosts(target)));
      // A proxy echoing the request body in an HTML page, and in a 500.
      fake.raw((_request, response, body) =>
        response.writeHead(200, { 'Content-Type': 'text/html' }).end(`<pre>${body}</pre>`),
      );
      errors.push(await failure(provider.listHosts(target)));
      fake.raw((_request, response, body) => response.writeHead(500).end(body));
      errors.push(await failure(provider.listHosts(target)));
      // A refused login whose reason quotes the password.
      fake.raw(null).on('host.get', () => {
        throw new FakeRpcError(SESSION_TERMINATED);
      });
      fake.endSessions();
      errors.push(await failure(provider.listHosts(target)));

      expect(errors.map((error) => error.constructor.name)).toEqual([
        'ZabbixRpcError',
        'MonitorUnreachableError',
        'MonitorUnreachableError',
        'MonitorAuthenticationError',
      ]);
      expect(errors[0].message).toContain('auth=***');
      const escaped = JSON.stringify(PASSWORD).slice(1, -1);
      for (const text of [...errors.flatMap((error) => [error.message, String(error.stack)]), ...logs.lines]) {
        for (const secret of [PASSWORD, escaped, ...fake.issued]) expect(text).not.toContain(secret);
      }
    });

    it('does not echo the password of a refused login', async () => {
      const { fake, provider, target } = await setup();
      fake.raw((_request, response, body) => {
        const { method, params, id } = JSON.parse(body);
        const reply =
          method === 'apiinfo.version'
            ? { result: '6.0.14' }
            : { error: { code: -32500, message: 'Application error.', data: `Bad password "${params.password}".` } };
        response.writeHead(200).end(JSON.stringify({ jsonrpc: '2.0', ...reply, id }));
      });
      const error = await failure(provider.check({ ...target, password: 'hunter22' }));
      expect(error.message).toBe('Monitor rejected the credentials: Bad password "***".');
    });
  });

  describe('hosts', () => {
    it('maps host.get records: main agent interface address, groups, enabled from status', async () => {
      const { fake, provider, target } = await setup();
      fake.on('host.get', () => [
        fakeHost('1', {
          host: 'db-01',
          name: 'Database 01',
          description: 'primary',
          status: '1',
          groups: [
            { groupid: '2', name: 'Linux servers' },
            { groupid: '9', name: 'Databases' },
          ],
          interfaces: [
            { interfaceid: '5', ip: '10.9.9.9', dns: '', port: '161', type: '2', main: '1', useip: '1' },
            { interfaceid: '6', ip: '10.0.0.6', dns: '', port: '10050', type: '1', main: '0', useip: '1' },
            { interfaceid: '7', ip: '10.0.0.7', dns: '', port: '10050', type: '1', main: '1', useip: '1' },
          ],
        }),
        fakeHost('2', {
          name: '',
          interfaces: [
            { interfaceid: '8', ip: '', dns: 'web.example', port: '10050', type: '1', main: '1', useip: '0' },
          ],
        }),
        fakeHost('3', { interfaces: [] }),
      ]);
      await expect(provider.listHosts(target)).resolves.toEqual([
        {
          externalId: '1',
          host: 'db-01',
          name: 'Database 01',
          description: 'primary',
          enabled: false,
          ipAddr: '10.0.0.7',
          groups: [
            { externalId: '2', name: 'Linux servers' },
            { externalId: '9', name: 'Databases' },
          ],
        },
        expect.objectContaining({ externalId: '2', name: 'host-2', ipAddr: 'web.example', enabled: true }),
        expect.objectContaining({ externalId: '3', ipAddr: null }),
      ]);
    });

    it('asks host.get for the documented fields, selectGroups before 6.2', async () => {
      const { fake, provider, target } = await setup({ version: '6.0.14' });
      await provider.listHosts(target, ['10084', '10084', '10085']);
      expect(fake.calls('host.get')[0].params).toEqual({
        output: ['hostid', 'host', 'name', 'description', 'status'],
        selectInterfaces: ['interfaceid', 'ip', 'dns', 'port', 'type', 'main', 'useip'],
        selectGroups: ['groupid', 'name'],
        hostids: ['10084', '10085'],
      });
    });

    it('uses selectHostGroups and reads hostgroups from 6.2 on', async () => {
      const { fake, provider, target } = await setup({ version: '6.2.9' });
      fake.on('host.get', () => [
        fakeHost('1', { groups: undefined, hostgroups: [{ groupid: '4', name: 'Zabbix servers' }] }),
      ]);
      const [host] = await provider.listHosts(target);
      expect(fake.calls('host.get')[0].params).toHaveProperty('selectHostGroups', ['groupid', 'name']);
      expect(fake.calls('host.get')[0].params).not.toHaveProperty('selectGroups');
      expect(host.groups).toEqual([{ externalId: '4', name: 'Zabbix servers' }]);
    });

    it('makes no call for an empty list of host ids', async () => {
      const { fake, provider, target } = await setup();
      await expect(provider.listHosts(target, [])).resolves.toEqual([]);
      expect(fake.requests).toHaveLength(0);
    });

    it.each([
      ['a result that is not a list', { hosts: [] }, 'the result is not a list'],
      ['a host without hostid', [{ host: 'x', name: 'x', status: '0' }], 'host 0 has no string "hostid"'],
      ['a non-numeric hostid', [fakeHost('abc')], 'host 0 has a non-numeric "hostid"'],
      ['groups that are not a list', [fakeHost('1', { groups: 'Linux' })], "host 0's groups is not a list"],
    ])('rejects %s as a malformed reply', async (_what, result, detail) => {
      const { fake, provider, target } = await setup();
      fake.on('host.get', () => result);
      const error = await failure(provider.listHosts(target));
      expect(error).toBeInstanceOf(MonitorApiError);
      expect(error.message).toBe(`Monitor sent a malformed reply to host.get: ${detail}`);
    });

    it('reports any other Zabbix error as MonitorApiError with its data and code', async () => {
      const { fake, provider, target } = await setup();
      fake.on('host.get', () => {
        throw new FakeRpcError('No permissions to referred object or it does not exist!', -32500, 'Application error.');
      });
      const error = await failure(provider.listHosts(target));
      expect(error).toBeInstanceOf(MonitorApiError);
      expect(error).toMatchObject({
        code: -32500,
        message:
          'Monitor API error in host.get: Application error. No permissions to referred object or it does not exist!',
      });
    });

    it('creates a host in an existing group, with an agent interface on its IP', async () => {
      const { fake, provider, target } = await setup();
      fake.on('hostgroup.get', () => [{ groupid: '12', name: 'Web servers' }]);
      fake.on('host.create', () => ({ hostids: ['10500'] }));
      await expect(provider.createHost(target, hostDraft({ name: 'Web 01 (é/ß)' }))).resolves.toBe('10500');
      expect(fake.calls('hostgroup.get')[0].params).toEqual({
        output: ['groupid', 'name'],
        filter: { name: ['Web servers'] },
      });
      expect(fake.calls('hostgroup.create')).toHaveLength(0);
      expect(fake.calls('host.create')[0].params).toEqual({
        host: 'Web 01 _e___',
        name: 'Web 01 (é/ß)',
        description: 'front web server',
        status: 0,
        interfaces: [{ type: 1, main: 1, port: '10050', useip: 1, ip: '10.1.2.3', dns: '' }],
        groups: [{ groupid: '12' }],
      });
    });

    it('creates the group when the server has none of that name', async () => {
      const { fake, provider, target } = await setup();
      fake.on('hostgroup.get', () => []);
      fake.on('hostgroup.create', () => ({ groupids: ['31'] }));
      fake.on('host.create', () => ({ hostids: ['10501'] }));
      await provider.createHost(target, hostDraft({ enabled: false, ipAddr: null }));
      expect(fake.calls('hostgroup.create')[0].params).toEqual({ name: 'Web servers' });
      expect(fake.calls('host.create')[0].params).toMatchObject({
        status: 1,
        interfaces: [{ useip: 1, ip: '127.0.0.1' }],
        groups: [{ groupid: '31' }],
      });
    });

    it('connects a host by DNS when its address is a name', async () => {
      const { fake, provider, target } = await setup();
      fake.on('hostgroup.get', () => [{ groupid: '12', name: 'Web servers' }]);
      fake.on('host.create', () => ({ hostids: ['10502'] }));
      await provider.createHost(target, hostDraft({ ipAddr: 'web01.example.org' }));
      expect(fake.calls('host.create')[0].params.interfaces).toEqual([
        { type: 1, main: 1, port: '10050', useip: 0, ip: '', dns: 'web01.example.org' },
      ]);
    });

    it('uses the group someone else created between its get and its create', async () => {
      const { fake, provider, target } = await setup();
      let created = false;
      fake.on('hostgroup.get', () => (created ? [{ groupid: '40', name: 'Web servers' }] : []));
      fake.on('hostgroup.create', () => {
        created = true;
        throw new FakeRpcError('Host group "Web servers" already exists.');
      });
      fake.on('host.create', () => ({ hostids: ['10503'] }));
      await provider.createHost(target, hostDraft());
      expect(fake.calls('host.create')[0].params.groups).toEqual([{ groupid: '40' }]);
    });

    it('rejects a host.create answer without hostids as a malformed reply', async () => {
      const { fake, provider, target } = await setup();
      fake.on('hostgroup.get', () => [{ groupid: '12', name: 'Web servers' }]);
      fake.on('host.create', () => ({ hostids: [] }));
      await expect(provider.createHost(target, hostDraft())).rejects.toThrow(
        new MonitorApiError('Monitor sent a malformed reply to host.create: the result has no "hostids"'),
      );
    });

    it('updates only what changed, keeps the technical name, and moves the main interface to the new IP', async () => {
      const { fake, provider, target } = await setup();
      fake.on('host.get', () => [
        fakeHost('10500', {
          host: 'web01',
          name: 'Web 01',
          description: 'old',
          groups: [{ groupid: '2', name: 'Linux servers' }],
          interfaces: [{ interfaceid: '77', ip: '10.1.2.3', dns: '', port: '10050', type: '1', main: '1', useip: '1' }],
        }),
      ]);
      fake.on('hostgroup.get', () => [{ groupid: '12', name: 'Web servers' }]);
      fake.on('host.update', () => ({ hostids: ['10500'] }));
      fake.on('hostinterface.update', () => ({ interfaceids: ['77'] }));
      await provider.updateHost(target, '10500', hostDraft({ description: 'new', enabled: false, ipAddr: '10.1.2.4' }));
      expect(fake.calls('host.update')[0].params).toEqual({
        hostid: '10500',
        description: 'new',
        status: 1,
        groups: [{ groupid: '12' }],
      });
      expect(fake.calls('hostinterface.update')[0].params).toEqual({ interfaceid: '77', useip: 1, ip: '10.1.2.4' });
    });

    it('sends no update when nothing changed', async () => {
      const { fake, provider, target } = await setup();
      fake.on('host.get', () => [
        fakeHost('10500', {
          name: 'Web 01',
          description: 'front web server',
          groups: [{ groupid: '12', name: 'Web servers' }],
          interfaces: [{ interfaceid: '77', ip: '10.1.2.3', dns: '', port: '10050', type: '1', main: '1', useip: '1' }],
        }),
      ]);
      await provider.updateHost(target, '10500', hostDraft());
      expect(fake.requests.map((request) => request.method)).toEqual(['apiinfo.version', 'user.login', 'host.get']);
    });

    it('adds a main agent interface to a host that has none', async () => {
      const { fake, provider, target } = await setup();
      fake.on('host.get', () => [
        fakeHost('10500', {
          name: 'Web 01',
          description: 'front web server',
          groups: [{ groupid: '12', name: 'Web servers' }],
          interfaces: [],
        }),
      ]);
      fake.on('hostinterface.create', () => ({ interfaceids: ['78'] }));
      await provider.updateHost(target, '10500', hostDraft());
      expect(fake.calls('hostinterface.create')[0].params).toEqual({
        hostid: '10500',
        type: 1,
        main: 1,
        port: '10050',
        useip: 1,
        ip: '10.1.2.3',
        dns: '',
      });
    });

    it('fails with MonitorApiError when the host to update is not on the monitor', async () => {
      const { fake, provider, target } = await setup();
      fake.on('host.get', () => []);
      await expect(provider.updateHost(target, '999', hostDraft())).rejects.toThrow(
        new MonitorApiError('Monitor API error in host.update: no host with id 999 on the monitor'),
      );
    });
  });

  describe('items', () => {
    it('asks item.get for 250 hosts in exactly 3 calls of at most 100 hosts', async () => {
      const { fake, provider, target } = await setup({}, { itemBatchSize: 100 });
      fake.on('item.get', (request) =>
        (request.params.hostids as string[]).map((hostid) => fakeItem(`9${hostid}`, hostid)),
      );
      const hostIds = Array.from({ length: 250 }, (_, i) => String(20_000 + i));
      const items = await provider.listItems(target, hostIds);
      const calls = fake.calls('item.get');
      expect(calls).toHaveLength(3);
      expect(calls.map((request) => (request.params.hostids as string[]).length)).toEqual([100, 100, 50]);
      expect(calls.flatMap((request) => request.params.hostids)).toEqual(hostIds);
      expect(calls[0].params.output).toEqual([
        'itemid',
        'hostid',
        'name',
        'key_',
        'lastvalue',
        'units',
        'value_type',
        'status',
        'lastclock',
      ]);
      expect(items.map((item) => item.externalHostId)).toEqual(hostIds);
    });

    it('lists 2,000 hosts with 10 items each in one host.get and 20 item.get calls', async () => {
      const { fake, provider, target } = await setup();
      const hostIds = Array.from({ length: 2_000 }, (_, i) => String(30_000 + i));
      fake.on('host.get', () => hostIds.map((id) => fakeHost(id)));
      fake.on('item.get', (request) =>
        (request.params.hostids as string[]).flatMap((hostid) =>
          Array.from({ length: 10 }, (_, n) => fakeItem(`${hostid}${n}`, hostid, { lastclock: '1700000000' })),
        ),
      );
      const started = Date.now();
      const hosts = await provider.listHosts(target);
      const items = await provider.listItems(
        target,
        hosts.map((host) => host.externalId),
      );
      expect(hosts).toHaveLength(2_000);
      expect(items).toHaveLength(20_000);
      expect(new Set(items.map((item) => item.externalId)).size).toBe(20_000);
      expect(fake.calls('item.get')).toHaveLength(20);
      expect(Date.now() - started).toBeLessThan(10_000);
    });

    it('yields one batch per item.get call', async () => {
      const { fake, provider, target } = await setup({}, { itemBatchSize: 2 });
      fake.on('item.get', (request) => (request.params.hostids as string[]).map((h) => fakeItem(`1${h}`, h)));
      const batches: string[][] = [];
      for await (const batch of provider.listItemBatches(target, ['1', '2', '3', '2'])) {
        batches.push(batch.map((item) => item.externalId));
        expect(fake.calls('item.get')).toHaveLength(batches.length);
      }
      expect(batches).toEqual([['11', '12'], ['13']]);
    });

    it('converts item.get strings: value type number, lastclock "0" as never collected', async () => {
      const { fake, provider, target } = await setup();
      fake.on('item.get', () => [
        fakeItem('1', '10', { value_type: '0', units: '%', lastvalue: '12.5', lastclock: '1700000000', status: '0' }),
        fakeItem('2', '10', { value_type: '4', lastvalue: '0', lastclock: '0', status: '1' }),
      ]);
      await expect(provider.listItems(target, ['10'])).resolves.toEqual([
        {
          externalId: '1',
          externalHostId: '10',
          name: 'Item 1',
          key: 'key.1',
          valueType: 0,
          lastValue: '12.5',
          units: '%',
          enabled: true,
          lastClock: new Date(1_700_000_000_000),
        },
        expect.objectContaining({ externalId: '2', valueType: 4, lastValue: null, lastClock: null, enabled: false }),
      ]);
    });

    it('gets items by their own ids', async () => {
      const { fake, provider, target } = await setup();
      fake.on('item.get', (request) => (request.params.itemids as string[]).map((id) => fakeItem(id, '10')));
      await expect(provider.getItems(target, ['5', '6'])).resolves.toHaveLength(2);
      expect(fake.calls('item.get')[0].params).toMatchObject({ itemids: ['5', '6'] });
      expect(fake.calls('item.get')[0].params).not.toHaveProperty('hostids');
    });

    it('rejects an item with a non-numeric value_type as a malformed reply', async () => {
      const { fake, provider, target } = await setup();
      fake.on('item.get', () => [fakeItem('1', '10'), fakeItem('2', '10', { value_type: 'float' })]);
      await expect(provider.listItems(target, ['10'])).rejects.toThrow(
        new MonitorApiError('Monitor sent a malformed reply to item.get: item 1 has a non-numeric "value_type"'),
      );
    });

    it('creates a trapper item, which needs no interface and no delay', async () => {
      const { fake, provider, target } = await setup();
      fake.on('item.create', () => ({ itemids: ['4242'] }));
      await expect(provider.createItem(target, '10500', itemDraft({ enabled: false }))).resolves.toBe('4242');
      expect(fake.calls('item.create')[0].params).toEqual({
        hostid: '10500',
        type: 2,
        name: 'Requests',
        key_: 'web.requests',
        value_type: 3,
        units: 'rps',
        description: 'requests per second',
        status: 1,
      });
    });

    it('updates only the item fields that changed', async () => {
      const { fake, provider, target } = await setup();
      fake.on('item.get', () => [
        {
          itemid: '4242',
          name: 'Requests',
          key_: 'web.requests',
          value_type: '3',
          units: 'rps',
          description: 'old',
          status: '0',
        },
      ]);
      fake.on('item.update', () => ({ itemids: ['4242'] }));
      await provider.updateItem(target, '4242', itemDraft({ description: 'new', valueType: 0 }));
      expect(fake.calls('item.update')[0].params).toEqual({ itemid: '4242', value_type: 0, description: 'new' });
    });

    it('fails with MonitorApiError when the item to update is not on the monitor', async () => {
      const { fake, provider, target } = await setup();
      fake.on('item.get', () => []);
      await expect(provider.updateItem(target, '5', itemDraft())).rejects.toThrow(
        new MonitorApiError('Monitor API error in item.update: no item with id 5 on the monitor'),
      );
    });
  });

  it('refuses options that are not positive', () => {
    expect(() => new ZabbixProvider({ itemBatchSize: 0 })).toThrow(
      'ZabbixProvider option itemBatchSize must be a positive integer, got 0',
    );
    expect(() => new ZabbixProvider({ timeoutMs: -1 })).toThrow(
      'ZabbixProvider option timeoutMs must be a positive number, got -1',
    );
  });
});
