import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { FakeZabbix, type RawHandler } from '../../../../test/support/zabbix';
import { freePort } from '../../../../test/support/redis-server';
import { MonitorApiError, MonitorReplyTooLargeError, MonitorUnreachableError } from '../provider-errors';
import { ZABBIX_MAX_REPLY_BYTES, ZabbixRpcClient, ZabbixRpcError, zabbixEndpoint } from './zabbix-rpc-client';

describe('zabbixEndpoint', () => {
  it.each([
    ['http://zbx.example', 'http://zbx.example/api_jsonrpc.php'],
    ['http://zbx.example/', 'http://zbx.example/api_jsonrpc.php'],
    ['https://zbx.example/zabbix', 'https://zbx.example/zabbix/api_jsonrpc.php'],
    ['https://zbx.example/zabbix//', 'https://zbx.example/zabbix/api_jsonrpc.php'],
    ['https://zbx.example/zabbix/api_jsonrpc.php', 'https://zbx.example/zabbix/api_jsonrpc.php'],
    ['http://127.0.0.1:18080/api_jsonrpc.php/', 'http://127.0.0.1:18080/api_jsonrpc.php'],
  ])('turns %s into %s', (url, endpoint) => {
    expect(zabbixEndpoint(url)).toBe(endpoint);
  });

  it('refuses a URL with credentials, which node:http would send as Basic auth', () => {
    for (const url of [
      'http://admin:zabbix@zbx.example/zabbix',
      'http://token@zbx.example',
      'https://:pw@zbx.example',
    ]) {
      expect(() => zabbixEndpoint(url)).toThrow(
        new MonitorUnreachableError(
          'Monitor unreachable: the monitor URL carries credentials (user:password@); set them as username and password',
        ),
      );
    }
  });

  it('rejects a URL that is not http(s) as unreachable', () => {
    expect(() => zabbixEndpoint('ftp://zbx.example')).toThrow(MonitorUnreachableError);
    expect(() => zabbixEndpoint('not a url')).toThrow('Monitor unreachable: the monitor URL is not a valid URL');
  });
});

describe(ZabbixRpcClient.name, () => {
  const client = new ZabbixRpcClient();
  let fake: FakeZabbix;

  beforeEach(async () => {
    fake = await FakeZabbix.start();
  });
  afterEach(() => fake.close());

  const call = (overrides: { timeoutMs?: number; method?: string; endpoint?: string } = {}) =>
    client.call({
      endpoint: overrides.endpoint ?? `${fake.url}/api_jsonrpc.php`,
      method: overrides.method ?? 'apiinfo.version',
      params: {},
      timeoutMs: overrides.timeoutMs ?? 2_000,
    });

  /** Answers every request with the given status, headers and body. */
  const answer =
    (status: number, body: string, headers: Record<string, string> = {}): RawHandler =>
    (_request, response) =>
      response.writeHead(status, headers).end(body);

  it('posts a JSON-RPC 2.0 request with Content-Type application/json-rpc and returns the result', async () => {
    await expect(call()).resolves.toBe('6.0.14');
    const [request] = fake.requests;
    expect(request.headers['content-type']).toBe('application/json-rpc');
    expect(JSON.parse(request.raw)).toEqual({ jsonrpc: '2.0', method: 'apiinfo.version', params: {}, id: 1 });
  });

  it('puts the token in the body or in a Bearer header as asked', async () => {
    const endpoint = `${fake.url}/api_jsonrpc.php`;
    const base = { endpoint, method: 'host.get', params: {}, timeoutMs: 2_000, token: 'abc123' };
    await client.call({ ...base, tokenInHeader: false }).catch(() => undefined);
    await client.call({ ...base, tokenInHeader: true }).catch(() => undefined);
    const [inBody, inHeader] = fake.calls('host.get');
    expect(inBody.auth).toBe('abc123');
    expect(inBody.headers.authorization).toBeUndefined();
    expect(inHeader.auth).toBeUndefined();
    expect(inHeader.bearer).toBe('abc123');
  });

  it('turns a JSON-RPC error object into a ZabbixRpcError with the code, message and data', async () => {
    const error = await call({ method: 'host.get' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ZabbixRpcError);
    expect(error).toBeInstanceOf(MonitorApiError);
    expect(error).toMatchObject({
      code: -32602,
      rpcMessage: 'Invalid params.',
      rpcData: 'Not authorized.',
      message: 'Monitor API error in host.get: Invalid params. Not authorized.',
    });
  });

  it('fails as unreachable when nothing listens on the port, naming the step, the code and where', async () => {
    const port = await freePort();
    const error = await call({ endpoint: `http://127.0.0.1:${port}/api_jsonrpc.php` }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MonitorUnreachableError);
    expect((error as Error).message).toBe(
      `Monitor unreachable: connect ECONNREFUSED 127.0.0.1:${port} (apiinfo.version)`,
    );
  });

  it('names a hung-up connection by its code, not by the library text', async () => {
    fake.raw((request) => request.socket.destroy());
    const error = await call().catch((e: unknown) => e);
    expect((error as Error).message).toBe(`Monitor unreachable: ECONNRESET ${fake.url.slice(7)} (apiinfo.version)`);
  });

  it('keeps the words of a reply to a request holding the password out of the message', async () => {
    const base = { endpoint: `${fake.url}/api_jsonrpc.php`, method: 'user.login', timeoutMs: 2_000 };
    fake.raw((_request, response, body) => {
      const { params, id } = JSON.parse(body);
      response.writeHead(200).end(
        JSON.stringify({
          jsonrpc: '2.0',
          error: { code: -32500, message: 'Oops.', data: `pw ${params.password}` },
          id,
        }),
      );
    });
    const error = await client
      .call({ ...base, params: { username: 'Admin', password: 'hunter2' }, paramsHoldPassword: true })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ message: 'Monitor API error in user.login (code -32500)', rpcData: 'pw hunter2' });
  });

  it('keeps the words of an error that quote the session token, and the body of a page echoing it, out', async () => {
    const base = { endpoint: `${fake.url}/api_jsonrpc.php`, method: 'host.get', params: {}, timeoutMs: 2_000 };
    const request = { ...base, token: 'f00dfeed', tokenInHeader: false };
    fake.raw((_request, response, body) =>
      response
        .writeHead(200)
        .end(
          JSON.stringify({ jsonrpc: '2.0', error: { code: -32602, message: 'Invalid params.', data: body }, id: 1 }),
        ),
    );
    await expect(client.call(request)).rejects.toThrow(new ZabbixRpcError('host.get', '', '', -32602, false));
    fake.raw(answer(200, '<pre>"auth":"f00dfeed"</pre>', { 'Content-Type': 'text/html' }));
    const page = await client.call(request).catch((e: unknown) => e);
    expect((page as Error).message).toBe(
      `Monitor unreachable: the reply to host.get at ${fake.url}/api_jsonrpc.php is not JSON (text/html, 28 bytes)`,
    );
  });

  it('gives up within the timeout when the server never answers', async () => {
    fake.raw(() => undefined);
    const started = Date.now();
    const error = await call({ timeoutMs: 300 }).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(error).toBeInstanceOf(MonitorUnreachableError);
    expect((error as Error).message).toBe('Monitor unreachable: no reply to apiinfo.version within 300 ms');
  });

  it('gives up within the timeout when the reply stalls after its headers', async () => {
    fake.raw((_request, response) => {
      response.writeHead(200, { 'Content-Type': 'application/json' });
      response.write('{"jsonrpc":"2.0",');
    });
    const started = Date.now();
    const error = await call({ timeoutMs: 300 }).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(1_500);
    expect((error as Error).message).toBe('Monitor unreachable: no reply to apiinfo.version within 300 ms');
  });

  it('reads a reply the server compressed, or began with a byte order mark, as fetch read it', async () => {
    const reply = '{"jsonrpc":"2.0","result":"6.0.14"}';
    fake.raw((_request, response) =>
      response.writeHead(200, { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' }).end(gzipSync(reply)),
    );
    await expect(call()).resolves.toBe('6.0.14');
    fake.raw(answer(200, `\uFEFF${reply}`, { 'Content-Type': 'application/json' }));
    await expect(call()).resolves.toBe('6.0.14');
  });

  describe('a reply past the bound (64 MiB by default; 1 MiB here)', () => {
    const bounded = new ZabbixRpcClient(1024 * 1024);
    const boundedCall = () =>
      bounded.call({ endpoint: `${fake.url}/api_jsonrpc.php`, method: 'item.get', params: {}, timeoutMs: 5_000 });
    const TOO_LARGE = () =>
      new MonitorReplyTooLargeError(
        `Monitor sent a reply to item.get at ${fake.url}/api_jsonrpc.php larger than 1 MiB, which is not read`,
      );
    /** A JSON-RPC reply of about `bytes` bytes. */
    const replyOf = (bytes: number) => `{"jsonrpc":"2.0","result":"${'x'.repeat(bytes)}","id":1}`;

    it('is 64 MiB unless told otherwise', () => {
      expect(ZABBIX_MAX_REPLY_BYTES).toBe(64 * 1024 * 1024);
    });

    it('reads a reply within it', async () => {
      fake.raw(answer(200, replyOf(1024 * 1024 - 100), { 'Content-Type': 'application/json' }));
      await expect(boundedCall()).resolves.toHaveLength(1024 * 1024 - 100);
    });

    it('refuses a reply whose Content-Length says it is larger, final, without reading it', async () => {
      fake.raw(answer(200, replyOf(2 * 1024 * 1024), { 'Content-Type': 'application/json' }));
      const error = await boundedCall().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MonitorReplyTooLargeError);
      expect(error).toEqual(TOO_LARGE());
      expect(error).toMatchObject({ final: true });
    });

    it('stops reading a reply without a length that goes on past it, long before the timeout', async () => {
      let sent = 0;
      fake.raw((_request, response) => {
        response.writeHead(200, { 'Content-Type': 'application/json' });
        const chunk = Buffer.alloc(64 * 1024, 'x');
        const more = () => {
          while (!response.destroyed && response.write(chunk)) sent += chunk.length;
          if (!response.destroyed) response.once('drain', more);
        };
        more();
      });
      const started = Date.now();
      await expect(boundedCall()).rejects.toEqual(TOO_LARGE());
      expect(Date.now() - started).toBeLessThan(2_000);
      expect(sent).toBeLessThan(64 * 1024 * 1024);
    });

    it.each([
      ['gzip', gzipSync],
      ['deflate', deflateSync],
      ['br', brotliCompressSync],
    ])('refuses a %s body that inflates past it', async (encoding, compress) => {
      const body = compress(replyOf(8 * 1024 * 1024));
      expect(body.length).toBeLessThan(1024 * 1024);
      fake.raw((_request, response) =>
        response.writeHead(200, { 'Content-Type': 'application/json', 'Content-Encoding': encoding }).end(body),
      );
      await expect(boundedCall()).rejects.toEqual(TOO_LARGE());
    });
  });

  it('treats HTTP 500 as unreachable and names the status', async () => {
    fake.raw(answer(500, '{"jsonrpc":"2.0","result":"6.0.14","id":1}', { 'Content-Type': 'application/json' }));
    await expect(call()).rejects.toThrow(
      new MonitorUnreachableError(
        `Monitor unreachable: HTTP 500 Internal Server Error from apiinfo.version at ${fake.url}/api_jsonrpc.php`,
      ),
    );
  });

  it('names the URL it tried when the path is wrong: a 404, or an HTML page answering with 200', async () => {
    const endpoint = `${fake.url}/wrong/path/api_jsonrpc.php`;
    fake.raw(answer(404, '<html><body>Not Found</body></html>', { 'Content-Type': 'text/html' }));
    await expect(call({ endpoint })).rejects.toThrow(
      new MonitorUnreachableError(`Monitor unreachable: HTTP 404 Not Found from apiinfo.version at ${endpoint}`),
    );
    fake.raw(answer(200, '<html><body>Zabbix login</body></html>', { 'Content-Type': 'text/html' }));
    const error = await call({ endpoint }).catch((e: unknown) => e);
    expect((error as Error).message).toBe(
      `Monitor unreachable: the reply to apiinfo.version at ${endpoint} is not JSON ` +
        '(text/html, 38 bytes: "<html><body>Zabbix login</body></html>")',
    );
  });

  it('treats a reply that is not JSON as unreachable, quoting its start', async () => {
    fake.raw(answer(200, '<html><body>502 Bad Gateway</body></html>', { 'Content-Type': 'text/html' }));
    const error = await call().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MonitorUnreachableError);
    expect((error as Error).message).toBe(
      `Monitor unreachable: the reply to apiinfo.version at ${fake.url}/api_jsonrpc.php is not JSON ` +
        '(text/html, 41 bytes: "<html><body>502 Bad Gateway</body></html>")',
    );
  });

  it('does not follow a redirect and says where it pointed', async () => {
    const paths: string[] = [];
    fake.raw((request, response) => {
      paths.push(request.url ?? '');
      if (request.url === '/api_jsonrpc.php') {
        response.writeHead(302, { Location: '/zabbix/api_jsonrpc.php?sid=1' }).end();
      } else {
        response
          .writeHead(200, { 'Content-Type': 'application/json' })
          .end('{"jsonrpc":"2.0","result":"6.0.14","id":1}');
      }
    });
    const error = await call().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MonitorUnreachableError);
    expect((error as Error).message).toBe(
      `Monitor unreachable: HTTP 302 redirect to ${fake.url}/zabbix/api_jsonrpc.php (not followed; point the monitor URL at the API itself)`,
    );
    expect(paths).toEqual(['/api_jsonrpc.php']);
  });

  it.each([
    ['a JSON array', '[1,2]', 'not a JSON-RPC object'],
    ['an object with neither result nor error', '{"jsonrpc":"2.0","id":1}', 'neither result nor error'],
    ['the answer to another request', '{"jsonrpc":"2.0","result":"6.0.14","id":99}', 'it answers request 99'],
  ])('rejects %s as a malformed reply (MonitorApiError)', async (_what, body, detail) => {
    fake.raw(answer(200, body, { 'Content-Type': 'application/json' }));
    const error = await call().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MonitorApiError);
    expect(error).not.toBeInstanceOf(ZabbixRpcError);
    expect((error as Error).message).toBe(`Monitor sent a malformed reply to apiinfo.version: ${detail}`);
  });
});
