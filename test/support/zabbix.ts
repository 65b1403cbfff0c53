import { randomBytes } from 'node:crypto';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';

/*
 * Zabbix test helpers:
 * - FakeZabbix: a tiny JSON-RPC server on a loopback port for the provider's unit specs, for what a real
 *   server cannot be made to do on demand (time out, answer HTML, redirect, end sessions at will);
 * - zabbixEnv / describeZabbix / ZabbixApi: for the contract suite against a real Zabbix (ZABBIX_URL etc.),
 *   with a raw JSON-RPC client that shares no code with the provider under test.
 */

// ---------------------------------------------------------------- fake server

export interface FakeRequest {
  method: string;
  params: Record<string, unknown>;
  /** The token in the body's `auth`, if any. */
  auth?: string;
  /** The token in `Authorization: Bearer`, if any. */
  bearer?: string;
  headers: IncomingHttpHeaders;
  /** The raw request body, as sent. */
  raw: string;
}

/** Thrown by a handler to answer with a JSON-RPC error object. */
export class FakeRpcError extends Error {
  constructor(
    readonly data: string,
    readonly code = -32602,
    readonly rpcMessage = 'Invalid params.',
  ) {
    super(data);
  }
}

export type FakeHandler = (request: FakeRequest, fake: FakeZabbix) => unknown;
/** Takes over the HTTP exchange entirely (status, headers, body, or no answer at all). */
export type RawHandler = (request: IncomingMessage, response: ServerResponse, body: string) => void;

export interface FakeZabbixOptions {
  version?: string;
  username?: string;
  password?: string;
  /** Which user.login fields the server takes, if not what its version implies. */
  loginFields?: ('username' | 'user')[];
}

export const SESSION_TERMINATED = 'Session terminated, re-login, please.';
/** What Zabbix (6.0 and 7.0 alike) answers a deleted or disabled API token, and an expired one. */
export const NOT_AUTHORIZED = 'Not authorized.';
export const API_TOKEN_EXPIRED = 'API token expired.';
export const LOGIN_REFUSED = 'Incorrect user name or password or account is temporarily blocked.';

/**
 * Answers like Zabbix: apiinfo.version and user.login without a token; every other method wants a live
 * session token where the version expects it (body `auth` before 6.4, `Authorization: Bearer` from 6.4),
 * else "Not authorized." or "Session terminated, re-login, please.". Methods are answered by handlers a
 * spec registers with `on`; every request is recorded.
 */
export class FakeZabbix {
  readonly requests: FakeRequest[] = [];
  /** Tokens issued by user.login, in order. */
  readonly issued: string[] = [];
  private readonly live = new Set<string>();
  /** API tokens revoked or expired, with the error Zabbix answers them with. */
  private readonly refused = new Map<string, FakeRpcError>();
  private readonly handlers = new Map<string, FakeHandler>();
  private rawHandler?: RawHandler;

  private constructor(
    private readonly server: Server,
    readonly url: string,
    readonly version: string,
    readonly username: string,
    readonly password: string,
    private readonly loginFields: string[] | undefined,
  ) {}

  static async start(options: FakeZabbixOptions = {}): Promise<FakeZabbix> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const fake = new FakeZabbix(
      server,
      `http://127.0.0.1:${port}`,
      options.version ?? '6.0.14',
      options.username ?? 'Admin',
      options.password ?? 'fake-zabbix-password',
      options.loginFields,
    );
    server.on('request', (request: IncomingMessage, response: ServerResponse) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => fake.handle(request, response, Buffer.concat(chunks).toString('utf8')));
    });
    return fake;
  }

  on(method: string, handler: FakeHandler): this {
    this.handlers.set(method, handler);
    return this;
  }

  /** Every request from now on is answered by `handler` instead (null: back to JSON-RPC). */
  raw(handler: RawHandler | null): this {
    this.rawHandler = handler ?? undefined;
    return this;
  }

  calls(method: string): FakeRequest[] {
    return this.requests.filter((request) => request.method === method);
  }

  /** An API token, as token.generate gives one: accepted without any user.login. */
  issueApiToken(): string {
    const token = randomBytes(32).toString('hex');
    this.live.add(token);
    return token;
  }

  /** From now on the token is refused as Zabbix refuses a deleted or disabled one, or `expired` as an expired one. */
  revokeApiToken(token: string, how: 'revoked' | 'expired' = 'revoked'): void {
    this.live.delete(token);
    this.refused.set(
      token,
      how === 'expired'
        ? new FakeRpcError(API_TOKEN_EXPIRED, -32500, 'Application error.')
        : new FakeRpcError(NOT_AUTHORIZED),
    );
  }

  /** Ends every session, as a server-side logout or a session timeout would. */
  endSessions(): void {
    this.live.clear();
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private get atLeast64(): boolean {
    const [major, minor] = this.version.split('.').map(Number);
    return major > 6 || (major === 6 && minor >= 4);
  }

  private get atLeast54(): boolean {
    const [major, minor] = this.version.split('.').map(Number);
    return major > 5 || (major === 5 && minor >= 4);
  }

  private handle(request: IncomingMessage, response: ServerResponse, body: string): void {
    if (this.rawHandler) {
      this.rawHandler(request, response, body);
      return;
    }
    let parsed: { method?: string; params?: Record<string, unknown>; auth?: string; id?: unknown };
    try {
      parsed = JSON.parse(body);
    } catch {
      response.writeHead(400).end();
      return;
    }
    const authorization = request.headers.authorization;
    const recorded: FakeRequest = {
      method: String(parsed.method),
      params: parsed.params ?? {},
      auth: parsed.auth,
      bearer: authorization?.startsWith('Bearer ') ? authorization.slice('Bearer '.length) : undefined,
      headers: request.headers,
      raw: body,
    };
    this.requests.push(recorded);
    let reply: Record<string, unknown>;
    try {
      reply = { jsonrpc: '2.0', result: this.answer(recorded), id: parsed.id };
    } catch (error) {
      if (!(error instanceof FakeRpcError)) throw error;
      reply = {
        jsonrpc: '2.0',
        error: { code: error.code, message: error.rpcMessage, data: error.data },
        id: parsed.id,
      };
    }
    response.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(reply));
  }

  private answer(request: FakeRequest): unknown {
    if (request.method === 'apiinfo.version') return this.version;
    if (request.method === 'user.login') return this.login(request.params);
    if (this.atLeast64 && request.auth !== undefined) {
      throw new FakeRpcError('Invalid parameter "/": unexpected parameter "auth".');
    }
    const token = this.atLeast64 ? request.bearer : request.auth;
    if (token === undefined) throw new FakeRpcError('Not authorized.');
    const refusal = this.refused.get(token);
    if (refusal) throw refusal;
    if (!this.live.has(token)) throw new FakeRpcError(SESSION_TERMINATED);
    const handler = this.handlers.get(request.method);
    if (!handler)
      throw new FakeRpcError(`Incorrect API "${request.method.split('.')[0]}".`, -32601, 'Method not found.');
    return handler(request, this);
  }

  private login(params: Record<string, unknown>): string {
    // 5.4 renamed `user` to `username`; 6.0 still takes both, older servers only `user`.
    const accepted = this.loginFields ?? (this.atLeast54 ? ['username', 'user'] : ['user']);
    const unexpected = ['username', 'user'].find((field) => field in params && !accepted.includes(field));
    if (unexpected) throw new FakeRpcError(`Invalid parameter "/": unexpected parameter "${unexpected}".`);
    const name = params.username ?? params.user;
    if (name !== this.username || params.password !== this.password) {
      throw new FakeRpcError(LOGIN_REFUSED, -32500, 'Application error.');
    }
    const token = randomBytes(16).toString('hex');
    this.issued.push(token);
    this.live.add(token);
    return token;
  }
}

/** A host.get record as Zabbix 6.0 answers it, every number a string. */
export function fakeHost(hostid: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    hostid,
    host: `host-${hostid}`,
    name: `Host ${hostid}`,
    description: '',
    status: '0',
    groups: [{ groupid: '2', name: 'Linux servers' }],
    interfaces: [
      { interfaceid: `9${hostid}`, ip: '127.0.0.1', dns: '', port: '10050', type: '1', main: '1', useip: '1' },
    ],
    ...overrides,
  };
}

/** An item.get record as Zabbix 6.0 answers it. */
export function fakeItem(
  itemid: string,
  hostid: string,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    itemid,
    hostid,
    name: `Item ${itemid}`,
    key_: `key.${itemid}`,
    lastvalue: '0',
    units: '',
    value_type: '3',
    status: '0',
    lastclock: '0',
    state: '0',
    error: '',
    ...overrides,
  };
}

// ---------------------------------------------------------------- real Zabbix (contract suite)

export interface ZabbixEnv {
  url: string;
  user: string;
  password: string;
  /** The zabbix_server trapper port on 127.0.0.1 (ZABBIX_TRAPPER_PORT), for values sent with the sender protocol. */
  trapperPort: number | null;
}

/**
 * The real Zabbix to test against, from ZABBIX_URL / ZABBIX_USER / ZABBIX_PASSWORD / ZABBIX_TRAPPER_PORT; null
 * when not configured.
 */
export function zabbixEnv(env: NodeJS.ProcessEnv = process.env): ZabbixEnv | null {
  if (!env.ZABBIX_URL) return null;
  const trapperPort = Number(env.ZABBIX_TRAPPER_PORT);
  return {
    url: env.ZABBIX_URL,
    user: env.ZABBIX_USER ?? 'Admin',
    password: env.ZABBIX_PASSWORD ?? 'zabbix',
    trapperPort: Number.isInteger(trapperPort) && trapperPort > 0 ? trapperPort : null,
  };
}

const HOW_TO_GET_ZABBIX =
  'Start one and export its settings with `set -a; eval "$(bash scripts/zabbix-local.sh up)"; set +a` ' +
  '(ZABBIX_URL, ZABBIX_USER, ZABBIX_PASSWORD, ZABBIX_TRAPPER_PORT), or for Zabbix 7.0 see the README.';

/**
 * A describe block that needs a real Zabbix. Without ZABBIX_URL it does not pass silently: it fails, saying
 * why, unless ZABBIX_OPTIONAL=1, in which case it is skipped with a console message saying why.
 */
export function describeZabbix(name: string, body: (env: ZabbixEnv) => void): void {
  const env = zabbixEnv();
  if (env) {
    describe(name, () => body(env));
    return;
  }
  if (process.env.ZABBIX_OPTIONAL === '1') {
    console.warn(`SKIPPED "${name}": ZABBIX_URL is not set and ZABBIX_OPTIONAL=1. ${HOW_TO_GET_ZABBIX}`);
    describe.skip(name, () => {
      it('runs against a real Zabbix (skipped: ZABBIX_URL is not set)', () => undefined);
    });
    return;
  }
  describe(name, () => {
    it('has a real Zabbix to run against', () => {
      throw new Error(
        `ZABBIX_URL is not set, so the Zabbix contract suite cannot run. ${HOW_TO_GET_ZABBIX} ` +
          'Set ZABBIX_OPTIONAL=1 to skip the suite instead (CI does not).',
      );
    });
  });
}

/** Polls `check` until it resolves to something other than undefined, or fails naming what it waited for. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** A short id unique to this run, for names that must not collide with earlier runs' leftovers. */
export function runId(): string {
  return `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

export class ZabbixApiError extends Error {
  constructor(
    readonly method: string,
    readonly error: { code: number; message: string; data: string },
  ) {
    super(`${method}: ${error.message} ${error.data}`);
  }
}

/**
 * A raw JSON-RPC client for arranging and inspecting the real Zabbix behind the provider's back. Written
 * against the API directly (no code shared with the provider), body `auth` before 6.4, Bearer from 6.4.
 */
export class ZabbixApi {
  private id = 1;

  private constructor(
    readonly endpoint: string,
    readonly version: string,
    readonly token: string,
  ) {}

  static async login(env: ZabbixEnv): Promise<ZabbixApi> {
    const endpoint = env.url.replace(/\/+$/, '').replace(/\/api_jsonrpc\.php$/, '') + '/api_jsonrpc.php';
    const version = (await rawCall(endpoint, 'apiinfo.version', {})) as string;
    const token = (await rawCall(endpoint, 'user.login', { username: env.user, password: env.password })) as string;
    return new ZabbixApi(endpoint, version, token);
  }

  /** host.get's group selector: `selectHostGroups` from 6.2 (deprecated `selectGroups` before, answered as `groups`). */
  get hostGroupsParam(): 'selectHostGroups' | 'selectGroups' {
    const [major, minor] = this.version.split('.').map(Number);
    return major > 6 || (major === 6 && minor >= 2) ? 'selectHostGroups' : 'selectGroups';
  }

  call<T = unknown>(method: string, params: unknown, token: string = this.token): Promise<T> {
    const [major, minor] = this.version.split('.').map(Number);
    const bearer = major > 6 || (major === 6 && minor >= 4);
    return rawCall(this.endpoint, method, params, token, bearer, this.id++) as Promise<T>;
  }

  /** Logs a session out server-side (ends it, as an expiry would). */
  async logout(token: string): Promise<void> {
    await this.call('user.logout', [], token);
  }

  async close(): Promise<void> {
    await this.logout(this.token).catch(() => undefined);
  }
}

async function rawCall(
  endpoint: string,
  method: string,
  params: unknown,
  token?: string,
  bearer = false,
  id = 1,
): Promise<unknown> {
  const body: Record<string, unknown> = { jsonrpc: '2.0', method, params, id };
  const headers: Record<string, string> = { 'Content-Type': 'application/json-rpc' };
  if (token && bearer) headers.Authorization = `Bearer ${token}`;
  else if (token) body.auth = token;
  const response = await fetch(endpoint, {
    method: 'POST',
    headers,
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  });
  const reply = (await response.json()) as {
    result?: unknown;
    error?: { code: number; message: string; data: string };
  };
  if (reply.error) throw new ZabbixApiError(method, reply.error);
  return reply.result;
}
