import { createHmac, createSign, generateKeyPairSync, randomBytes } from 'node:crypto';
import { RedisServer } from '../support/redis-server';
import type { ServiceProcess } from '../support/service-process';
import { ADMIN_PASSWORD } from '../support/test-app';
import { Client, Cluster, recordFigures } from './chaos-support';
import { type Operation, operationsOf, rawRequest } from './fuzz-support';

/**
 * Part 5, auth: against the built service (role api) on a private Redis, every protected route of the OpenAPI
 * document is called with missing, malformed, expired, wrongly signed, `alg: none`, wrong-algorithm and
 * claim-less tokens (401 each), with a token of too low a privilege (403 on every write route and every route above
 * the token's privilege), repeated failed logins of one username from one client (429 to that pair only), and a
 * disabled user's token (401). Then
 * neither the service's logs nor any response carries a password or token used in the run (a login's answer carries
 * only the token it issues).
 */
const MAX_FAILURES = 3;

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

function hmacToken(header: object, payload: object, secret: string, hash: 'sha256' | 'sha512' = 'sha256'): string {
  const data = `${b64(header)}.${b64(payload)}`;
  return `${data}.${createHmac(hash, secret).update(data).digest('base64url')}`;
}

interface Exchange {
  request: string;
  status: number;
  text: string;
  /** The token a successful login answered with: the one secret this answer may carry. */
  issued?: string;
}

describe('chaos 5: tokens, privileges, brute force, disabled users, leaks', () => {
  let redis: RedisServer;
  let cluster: Cluster;
  let api: ServiceProcess;
  let operations: Operation[];
  const exchanges: Exchange[] = [];
  /** Every password and token the run uses, to be looked for in the logs and the answers afterwards. */
  const secrets = new Set<string>([ADMIN_PASSWORD]);
  const figures: Record<string, unknown> = {};
  let admin: Client;
  let adminClaims: Record<string, unknown>;

  /** One request, recorded for the leak check. */
  async function send(
    method: string,
    path: string,
    headers: Record<string, string> = {},
    body?: unknown,
  ): Promise<Exchange> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const res = await rawRequest(
      api.port,
      method,
      path,
      payload ? { ...headers, 'Content-Type': 'application/json' } : headers,
      payload,
    );
    const exchange: Exchange = { request: `${method} ${path}`, status: res.status, text: res.text };
    exchanges.push(exchange);
    return exchange;
  }

  async function login(username: string, password: string, client = '10.0.0.1'): Promise<Exchange> {
    secrets.add(password);
    const res = await send('POST', '/api/v1/auth/login', { 'X-Forwarded-For': client }, { username, password });
    if (res.status === 200) {
      res.issued = (JSON.parse(res.text) as { token: string }).token;
      secrets.add(res.issued);
    }
    return res;
  }

  const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
  const concrete = (op: Operation) => op.path.replace(/\{[^}]+\}/g, '1');
  const requiredPrivilege = (op: Operation) => op.requiredPrivilege ?? 1;

  async function userWith(
    privileges: 1 | 2 | 3,
    name: string,
  ): Promise<{ id: number; token: string; password: string }> {
    const password = `pw-${randomBytes(8).toString('hex')}`;
    secrets.add(password);
    const res = await send('POST', '/api/v1/users', bearer(admin.token), { username: name, password, privileges });
    expect(res.status).toBe(201);
    const logged = await login(name, password);
    expect(logged.status).toBe(200);
    return { id: (JSON.parse(res.text) as { id: number }).id, token: logged.issued!, password };
  }

  beforeAll(async () => {
    redis = await RedisServer.start();
    cluster = await new Cluster(redis.url).init();
    // TRUST_PROXY: the brute-force client is told apart by X-Forwarded-For, so the rest of the run can still log in.
    api = await cluster.startServer('api', {
      LOGIN_MAX_FAILURES: String(MAX_FAILURES),
      LOGIN_WINDOW_SECONDS: '600',
      TRUST_PROXY: 'true',
    });
    secrets.add(cluster.jwtSecret);
    admin = new Client(`http://127.0.0.1:${api.port}`);
    const logged = await login('admin', ADMIN_PASSWORD);
    expect(logged.status).toBe(200);
    admin.token = logged.issued!;
    adminClaims = JSON.parse(Buffer.from(admin.token.split('.')[1], 'base64url').toString()) as Record<string, unknown>;
    const doc = await send('GET', '/docs-json');
    operations = operationsOf(JSON.parse(doc.text) as Parameters<typeof operationsOf>[0]);
  }, 120_000);

  afterAll(async () => {
    await recordFigures('auth', figures);
    await cluster?.close();
    await redis?.destroy();
  });

  it('answers 401 to every protected route for each kind of bad token, and 200 to a well-made one', async () => {
    const now = Math.floor(Date.now() / 1000);
    const claims = { ...adminClaims, iat: now, exp: now + 3600 };
    const { publicKey: _unused, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const rsData = `${b64({ alg: 'RS256', typ: 'JWT' })}.${b64(claims)}`;
    const rs256 = `${rsData}.${createSign('RSA-SHA256').update(rsData).sign(privateKey, 'base64url')}`;
    const secret = cluster.jwtSecret;
    const hs = { alg: 'HS256', typ: 'JWT' };
    const { exp: _exp, ...noExp } = claims;
    const badTokens: Record<string, Record<string, string>> = {
      missing: {},
      'empty bearer': { Authorization: 'Bearer ' },
      'not bearer': { Authorization: `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}` },
      'two parts': { Authorization: `Bearer ${admin.token.split('.').slice(0, 2).join('.')}` },
      garbage: { Authorization: 'Bearer a.b.c' },
      expired: bearer(hmacToken(hs, { ...claims, iat: now - 7200, exp: now - 3600 }, secret)),
      'wrong signature': bearer(hmacToken(hs, claims, randomBytes(32).toString('hex'))),
      'alg none': bearer(`${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`),
      'alg none, signed': bearer(hmacToken({ alg: 'none', typ: 'JWT' }, claims, secret)),
      HS512: bearer(hmacToken({ alg: 'HS512', typ: 'JWT' }, claims, secret, 'sha512')),
      RS256: bearer(rs256),
      'no exp': bearer(hmacToken(hs, noExp, secret)),
      'tampered privileges': bearer(
        `${admin.token.split('.')[0]}.${b64({ ...adminClaims, privileges: 9 })}.${admin.token.split('.')[2]}`,
      ),
    };
    // Each crafted token is a secret of the run too (the empty and three-letter ones would match anything).
    for (const headers of Object.values(badTokens)) {
      const token = headers.Authorization?.slice(7) ?? '';
      if (token.length >= 16) secrets.add(token);
    }

    // The crafting is right: the same claims signed as the service signs are accepted.
    const wellMade = await send('GET', '/api/v1/auth/me', bearer(hmacToken(hs, claims, secret)));
    expect(wellMade.status).toBe(200);

    const secured = operations.filter((op) => op.secured);
    expect(secured.length).toBeGreaterThan(20);
    const wrong: string[] = [];
    let requests = 0;
    for (const op of secured) {
      for (const [kind, headers] of Object.entries(badTokens)) {
        const res = await send(op.method, concrete(op), headers);
        requests += 1;
        if (res.status !== 401) wrong.push(`${kind}: ${op.method} ${op.path} -> ${res.status}`);
      }
    }
    figures.bad_tokens = {
      kinds: Object.keys(badTokens),
      routes: secured.length,
      requests,
      not_401: wrong.length,
    };
    expect(wrong).toEqual([]);
  });

  it('answers 403 to a token of too low a privilege on every write route and every route above it', async () => {
    const reader = await userWith(1, 'chaos-reader');
    const writer = await userWith(2, 'chaos-writer');
    const secured = operations.filter((op) => op.secured);
    // Every write route needs more than read.
    const writesForReaders = secured.filter((op) => op.method !== 'GET' && requiredPrivilege(op) < 2);
    expect(writesForReaders.map((op) => `${op.method} ${op.path}`)).toEqual([]);

    const wrong: string[] = [];
    let requests = 0;
    for (const op of secured) {
      for (const [privilege, token] of [
        [1, reader.token],
        [2, writer.token],
      ] as const) {
        if (requiredPrivilege(op) <= privilege) continue;
        const res = await send(op.method, concrete(op), bearer(token));
        requests += 1;
        if (res.status !== 403) wrong.push(`privilege ${privilege}: ${op.method} ${op.path} -> ${res.status}`);
      }
    }
    figures.low_privilege = {
      write_routes: secured.filter((op) => op.method !== 'GET').length,
      requests,
      not_403: wrong.length,
    };
    expect(requests).toBeGreaterThan(secured.filter((op) => op.method !== 'GET').length);
    expect(wrong).toEqual([]);
  });

  it('answers 429 after repeated failed logins of one username from one client, even with the right password, and only to that pair', async () => {
    const attacker = '10.66.66.66';
    const colleague = await userWith(1, 'chaos-colleague');
    const statuses: number[] = [];
    for (let i = 0; i < MAX_FAILURES + 3; i++) {
      statuses.push((await login('admin', `wrong-${randomBytes(6).toString('hex')}`, attacker)).status);
    }
    const rightPassword = await login('admin', ADMIN_PASSWORD, attacker);
    const otherClient = await login('admin', ADMIN_PASSWORD, '10.0.0.2');
    // Behind one address (a proxy) the guesses at admin must not lock the other users out.
    const otherUser = await login('chaos-colleague', colleague.password, attacker);
    figures.brute_force = {
      max_failures: MAX_FAILURES,
      attempts: statuses.length + 1,
      statuses: [...statuses, rightPassword.status],
      other_client_status: otherClient.status,
      other_user_same_client_status: otherUser.status,
    };
    expect(statuses.slice(0, MAX_FAILURES)).toEqual(Array(MAX_FAILURES).fill(401));
    expect(statuses.slice(MAX_FAILURES)).toEqual(Array(statuses.length - MAX_FAILURES).fill(429));
    expect(rightPassword.status).toBe(429);
    expect(otherClient.status).toBe(200);
    expect(otherUser.status).toBe(200);
  });

  it("refuses a disabled user's token and login", async () => {
    const user = await userWith(2, 'chaos-disabled');
    expect((await send('GET', '/api/v1/auth/me', bearer(user.token))).status).toBe(200);
    const disabled = await send('PATCH', `/api/v1/users/${user.id}`, bearer(admin.token), { enabled: false });
    expect(disabled.status).toBe(200);
    const me = await send('GET', '/api/v1/auth/me', bearer(user.token));
    const write = await send('POST', '/api/v1/hosts', bearer(user.token), { name: 'from-a-disabled-user' });
    const again = await login('chaos-disabled', user.password, '10.0.0.3');
    figures.disabled_user = { me: me.status, write: write.status, login: again.status };
    expect(again.status).toBe(401);
    expect(me.status).toBe(401);
    expect(write.status).toBe(401);
  });

  it('leaves no password or token of the run in the logs or in any answer', async () => {
    // pino writes asynchronously: give the last lines a moment.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const logs = `${api.systemLog()}\n${api.stdout}\n${api.stderr}`;
    const inLogs = [...secrets].filter((secret) => logs.includes(secret));
    const inAnswers = exchanges.flatMap((exchange) =>
      [...secrets]
        // A login's answer carries the token it issues (equal to an earlier one when issued in the same second).
        .filter((secret) => exchange.text.replace(exchange.issued ?? '\u0000', '').includes(secret))
        .map((secret) => `${exchange.request} carries ${secret.slice(0, 12)}…`),
    );
    figures.http_5xx = exchanges.filter((exchange) => exchange.status >= 500).length;
    figures.leaks = {
      secrets_checked: secrets.size,
      responses_checked: exchanges.length,
      log_bytes_checked: logs.length,
      in_logs: inLogs.length,
      in_responses: inAnswers.length,
    };
    expect(logs.length).toBeGreaterThan(1000);
    expect(inLogs.map((secret) => `${secret.slice(0, 12)}…`)).toEqual([]);
    expect(inAnswers).toEqual([]);
  });
});
