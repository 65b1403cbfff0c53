import { FakeRpcError, FakeZabbix, SESSION_TERMINATED } from '../../../../test/support/zabbix';
import { failure, withoutPorts, useZabbixProviderHarness } from '../../../../test/support/zabbix-provider-harness';
import { freePort } from '../../../../test/support/redis-server';
import { ZabbixProvider } from './zabbix.provider';

describe(`${ZabbixProvider.name}: secrets`, () => {
  const { logs, setup, closeAfterTest } = useZabbixProviderHarness();

  describe('secrets', () => {
    const PASSWORD = 'S3cret-"pass"\\word';

    it('never puts the password or the session token in an error message, a stack or a log line', async () => {
      const { fake, provider, target } = await setup({ password: PASSWORD });
      await provider.listHosts(target);
      const token = fake.issued[0];
      logs.lines.length = 0;

      const errors: Error[] = [];
      // A server quoting the request (and so the token) back in an error.
      fake.on('host.get', (request) => {
        throw new FakeRpcError(`Invalid parameter: ${request.raw} auth=${token}`);
      });
      errors.push(await failure(provider.listHosts(target)));
      // A proxy echoing the request body in an HTML page, and in a 500.
      fake.raw((_request, response, body) =>
        response.writeHead(200, { 'Content-Type': 'text/html' }).end(`<pre>${body}</pre>`),
      );
      errors.push(await failure(provider.listHosts(target)));
      fake.raw((_request, response, body) => response.writeHead(500).end(body));
      errors.push(await failure(provider.listHosts(target)));
      // A server ending the session in words that quote the token, twice: re-login, then give up.
      fake.raw(null).on('host.get', (request) => {
        throw new FakeRpcError(`${SESSION_TERMINATED} auth=${request.auth}`);
      });
      errors.push(await failure(provider.listHosts(target)));
      // A login answered by a page that echoes it.
      fake.raw((_request, response, body) =>
        JSON.parse(body).method === 'apiinfo.version'
          ? response.writeHead(200).end('{"jsonrpc":"2.0","result":"6.0.14","id":1}')
          : response.writeHead(200, { 'Content-Type': 'text/html' }).end(`<pre>${body}</pre>`),
      );
      errors.push(await failure(new ZabbixProvider().listHosts(target)));

      expect(errors.map((error) => error.message)).toEqual([
        'Monitor API error in host.get (code -32602)',
        expect.stringMatching(
          /^Monitor unreachable: the reply to host\.get at \S+ is not JSON \(text\/html, \d+ bytes\)$/,
        ),
        `Monitor unreachable: HTTP 500 Internal Server Error from host.get at ${fake.url}/api_jsonrpc.php`,
        'Monitor ended the session again right after a new login: code -32602',
        expect.stringMatching(
          /^Monitor unreachable: the reply to user\.login at \S+ is not JSON \(text\/html, \d+ bytes\)$/,
        ),
      ]);
      const escaped = JSON.stringify(PASSWORD).slice(1, -1);
      for (const text of [...errors.flatMap((error) => [error.message, String(error.stack)]), ...logs.lines]) {
        for (const secret of [PASSWORD, escaped, ...fake.issued]) expect(text).not.toContain(secret);
      }
    });

    it('names a refused login by its code when Zabbix words it in an unknown way (which may echo the request)', async () => {
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
      expect(error.message).toBe('Monitor rejected the credentials (Zabbix error code -32500)');
    });
  });

  describe('error messages do not depend on the password', () => {
    /** Each way a call fails, run for a monitor with the given password; the messages, in order. */
    async function failureMessages(password: string): Promise<string[]> {
      const fake = await FakeZabbix.start({ password });
      closeAfterTest(fake);
      const provider = new ZabbixProvider({ timeoutMs: 2_000 });
      const target = { monitorId: 8, url: fake.url, username: fake.username, password };
      const messages: string[] = [];
      const record = async (work: Promise<unknown>) => messages.push((await failure(work)).message);

      // Zabbix's own words for a refused login and for a refused call.
      await record(provider.check({ ...target, password: `${password}-wrong` }));
      fake.on('host.get', () => {
        throw new FakeRpcError('Invalid parameter "/output/1": value must be one of "hostid", "up", "api".');
      });
      await record(provider.check(target));
      // A redirect to a path holding the word zabbix, a connection the server hangs up, nobody listening.
      fake.raw((_request, response) => response.writeHead(302, { Location: '/zabbix/api_jsonrpc.php' }).end());
      await record(provider.check({ ...target, monitorId: 9 }));
      fake.raw((request) => request.socket.destroy());
      await record(provider.check({ ...target, monitorId: 10 }));
      const gone = `http://127.0.0.1:${await freePort()}`;
      await record(provider.check({ ...target, url: gone }));
      return messages.map((message) => message.replace(fake.url, '<fake>').replace(gone, '<gone>'));
    }

    it.each(['p', 'zabbix', 'up', 'api'])('gives the same messages with the password %p as with another', async (p) => {
      const control = await failureMessages('Control-Q7!');
      expect(control).toEqual([
        'Monitor rejected the credentials: Incorrect user name or password or account is temporarily blocked.',
        'Monitor API error in host.get: Invalid params. Invalid parameter "/output/1": value must be one of "hostid", "up", "api".',
        'Monitor unreachable: HTTP 302 redirect to <fake>/zabbix/api_jsonrpc.php (not followed; point the monitor URL at the API itself)',
        expect.stringMatching(/^Monitor unreachable: ECONNRESET 127\.0\.0\.1:\d+ \(apiinfo\.version\)$/),
        expect.stringMatching(/^Monitor unreachable: connect ECONNREFUSED 127\.0\.0\.1:\d+ \(apiinfo\.version\)$/),
      ]);
      const messages = await failureMessages(p);
      expect(messages.map(withoutPorts)).toEqual(control.map(withoutPorts));
      for (const message of messages) expect(message).not.toContain('***');
    });
  });
});
