import { redactUrl } from '../../../common/logging/redact-url';
import { MonitorApiError, MonitorReplyTooLargeError, MonitorUnreachableError } from '../provider-errors';
import { post, type RawReply, ReplyTooLarge } from './zabbix-http-post';

const API_PATH = 'api_jsonrpc.php';
/**
 * The most of a reply read, after inflating: 64 MiB. Zabbix's answers are far smaller (5,000 items, the most a sync
 * asks for at once, are about 2.5 MB; PHP's memory limit bounds what Zabbix can encode); without a bound a server
 * that sends without end, or a small gzip body that inflates to gigabytes, would take all the process's memory.
 */
export const ZABBIX_MAX_REPLY_BYTES = 64 * 1024 * 1024;
/** How much of a non-JSON reply goes into the reason: enough to recognise a proxy's error page. */
const SNIPPET_LENGTH = 120;

/**
 * The JSON-RPC endpoint of a monitor URL given as the server's base (`http://zbx/zabbix`, with or without a
 * trailing slash) or as the endpoint itself (`.../api_jsonrpc.php`).
 */
export function zabbixEndpoint(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url.trim());
  } catch {
    throw new MonitorUnreachableError('Monitor unreachable: the monitor URL is not a valid URL');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new MonitorUnreachableError(
      `Monitor unreachable: unsupported URL scheme ${parsed.protocol} (use http or https)`,
    );
  }
  // node:http would send them as Basic auth; credentials go only in the monitor's username and password.
  if (parsed.username || parsed.password) {
    throw new MonitorUnreachableError(
      'Monitor unreachable: the monitor URL carries credentials (user:password@); set them as username and password',
    );
  }
  const path = parsed.pathname.replace(/\/+$/, '');
  parsed.pathname = path.endsWith(`/${API_PATH}`) ? path : `${path}/${API_PATH}`;
  parsed.search = '';
  parsed.hash = '';
  return parsed.toString();
}

/** An error object of a JSON-RPC reply, as Zabbix words it: `message` is generic, `data` says what went wrong. */
export class ZabbixRpcError extends MonitorApiError {
  constructor(
    readonly method: string,
    readonly rpcMessage: string,
    readonly rpcData: string,
    code: number | undefined,
    /** False when the words may quote a secret of the request: they are kept for matching, not put in the message. */
    readonly wordsShown = true,
  ) {
    super(
      wordsShown
        ? `Monitor API error in ${method}: ${[rpcMessage, rpcData].filter(Boolean).join(' ')}`
        : `Monitor API error in ${method} (code ${code ?? 'none'})`,
      code,
    );
  }

  /** What went wrong, fit for a message: Zabbix's data (or message), or only the code when they are not shown. */
  get reason(): string {
    return this.wordsShown ? this.rpcData || this.rpcMessage : `code ${this.code ?? 'none'}`;
  }

  /** Message and data together, for matching on Zabbix's wording. */
  get text(): string {
    return `${this.rpcMessage} ${this.rpcData}`;
  }
}

export interface RpcRequest {
  endpoint: string;
  method: string;
  params: unknown;
  /** The session token; travels in the body's `auth` or in `Authorization: Bearer` as `tokenInHeader` says. */
  token?: string;
  tokenInHeader?: boolean;
  /** The params hold the password (user.login): no text of the reply goes into an error message. */
  paramsHoldPassword?: boolean;
  timeoutMs: number;
}

/**
 * One JSON-RPC call over node:http (node:https), with kept-alive connections. Transport failures (refused, timed out, a non-200 status, a
 * redirect, a reply that is not JSON) become MonitorUnreachableError; a JSON-RPC error object becomes
 * ZabbixRpcError; a reply that is JSON but no JSON-RPC answer becomes MonitorApiError. Messages are built from
 * parts that cannot hold a secret (the method, the status, error codes, the URL called (scheme, host, port, path), the
 * server's own words), never from the request or a library's error text, so nothing needs scrubbing afterwards.
 */
export class ZabbixRpcClient {
  private nextId = 1;

  constructor(private readonly maxReplyBytes = ZABBIX_MAX_REPLY_BYTES) {}

  async call(request: RpcRequest): Promise<unknown> {
    const { endpoint, method, params, token, tokenInHeader, paramsHoldPassword, timeoutMs } = request;
    const id = this.nextId++;
    const body: Record<string, unknown> = { jsonrpc: '2.0', method, params, id };
    const headers: Record<string, string> = { 'Content-Type': 'application/json-rpc', Accept: 'application/json' };
    if (token !== undefined) {
      if (tokenInHeader) headers.Authorization = `Bearer ${token}`;
      else body.auth = token;
    }

    let response: RawReply;
    try {
      // One bound on connecting, sending and reading the body: a server that sends headers and then stalls times
      // out too.
      const signal = AbortSignal.timeout(timeoutMs);
      response = await post(endpoint, headers, JSON.stringify(body), signal, this.maxReplyBytes);
    } catch (error) {
      if (error instanceof ReplyTooLarge) {
        throw new MonitorReplyTooLargeError(
          `Monitor sent a reply to ${method} at ${shownUrl(endpoint)} larger than ${mebibytes(this.maxReplyBytes)}, ` +
            'which is not read',
        );
      }
      throw new MonitorUnreachableError(`Monitor unreachable: ${transportReason(error, endpoint, method, timeoutMs)}`);
    }
    const { text } = response;

    if (response.status >= 300 && response.status < 400) {
      const location = response.header('location');
      throw new MonitorUnreachableError(
        `Monitor unreachable: HTTP ${response.status} redirect${location ? ` to ${safeLocation(location, endpoint)}` : ''} ` +
          `(not followed; point the monitor URL at the API itself)`,
      );
    }
    if (response.status !== 200) {
      throw new MonitorUnreachableError(
        `Monitor unreachable: HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''} from ${method} ` +
          `at ${shownUrl(endpoint)}`,
      );
    }

    let reply: unknown;
    try {
      reply = JSON.parse(text);
    } catch {
      const type = response.header('content-type') ?? 'no content type';
      // A page that echoes the request would echo its password or token: only a credential-free call shows one.
      const excerpt = token === undefined && !paramsHoldPassword ? snippet(text) : '';
      throw new MonitorUnreachableError(
        `Monitor unreachable: the reply to ${method} at ${shownUrl(endpoint)} is not JSON (${type}, ${text.length} bytes${excerpt})`,
      );
    }
    return unwrap(reply, request, id);
  }
}

function mebibytes(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${Math.round((bytes / 1024 / 1024) * 10) / 10} MiB` : `${bytes} bytes`;
}

function unwrap(reply: unknown, request: RpcRequest, id: number): unknown {
  const { method, token, paramsHoldPassword } = request;
  if (reply === null || typeof reply !== 'object' || Array.isArray(reply)) {
    throw new MonitorApiError(`Monitor sent a malformed reply to ${method}: not a JSON-RPC object`);
  }
  const envelope = reply as { error?: unknown; result?: unknown; id?: unknown };
  if (envelope.error !== undefined && envelope.error !== null) {
    const error = envelope.error as { code?: unknown; message?: unknown; data?: unknown };
    if (typeof error !== 'object') {
      throw new MonitorApiError(`Monitor sent a malformed reply to ${method}: the error is not an object`);
    }
    const rpcMessage = typeof error.message === 'string' ? error.message : '';
    const rpcData =
      typeof error.data === 'string' ? error.data : error.data === undefined ? '' : JSON.stringify(error.data);
    // Zabbix never quotes the password or the session token, but a server that echoes the request would: words
    // answering a login are never shown, and words holding the (random, server-issued) token neither.
    const echoesToken = token !== undefined && `${rpcMessage} ${rpcData}`.includes(token);
    const wordsShown = !paramsHoldPassword && !echoesToken;
    throw new ZabbixRpcError(
      method,
      rpcMessage,
      rpcData,
      typeof error.code === 'number' ? error.code : undefined,
      wordsShown,
    );
  }
  if (!('result' in envelope)) {
    throw new MonitorApiError(`Monitor sent a malformed reply to ${method}: neither result nor error`);
  }
  if (envelope.id !== undefined && envelope.id !== id && envelope.id !== String(id)) {
    throw new MonitorApiError(`Monitor sent a malformed reply to ${method}: it answers request ${String(envelope.id)}`);
  }
  return envelope.result;
}

/** A library error code such as ECONNREFUSED or CERT_HAS_EXPIRED: a fixed word, never a value of ours. */
const ERROR_CODE = /^[A-Z][A-Z0-9_]{1,63}$/;

/**
 * `connect ECONNREFUSED zbx.example:443 (host.get)`: the failed step and its code from the error's fields, and
 * where from the endpoint we called. The library's message is not used: it is not ours to vouch for.
 */
function transportReason(error: unknown, endpoint: string, method: string, timeoutMs: number): string {
  // Duck-typed: errors may come from another realm (as under Jest), where instanceof Error fails.
  const { name, code, syscall, cause } = (error ?? {}) as Record<string, unknown>;
  if (name === 'TimeoutError' || name === 'AbortError') return `no reply to ${method} within ${timeoutMs} ms`;
  const causeCode = ((cause ?? {}) as Record<string, unknown>).code;
  const known = [code, causeCode].find((c): c is string => typeof c === 'string' && ERROR_CODE.test(c));
  const step = typeof syscall === 'string' && /^[a-z]{1,32}$/.test(syscall) ? `${syscall} ` : '';
  return `${step}${known ?? 'network error'} ${hostAndPort(endpoint)} (${method})`;
}

/** The endpoint's host and port, as the user wrote them in the monitor URL (no userinfo, no query). */
function hostAndPort(endpoint: string): string {
  const url = new URL(endpoint);
  return `${url.hostname}:${url.port || (url.protocol === 'https:' ? '443' : '80')}`;
}

/** The redirect target without query or credentials, which are none of the reason's business. */
function safeLocation(location: string, base: string): string {
  try {
    const url = new URL(location, base);
    return `${url.origin}${url.pathname}`;
  } catch {
    return 'an invalid location';
  }
}

/**
 * The URL that was called, so a wrong path (a 404, the frontend's HTML) shows where the request went. The endpoint
 * never holds credentials or a query (zabbixEndpoint drops them); redacted all the same, as a log line would be.
 */
function shownUrl(endpoint: string): string {
  return redactUrl(endpoint);
}

function snippet(text: string): string {
  const squashed = text.replace(/\s+/g, ' ').trim();
  if (!squashed) return '';
  return `: "${squashed.length > SNIPPET_LENGTH ? `${squashed.slice(0, SNIPPET_LENGTH)}...` : squashed}"`;
}
