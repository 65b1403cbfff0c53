import http from 'node:http';
import https from 'node:https';
import zlib from 'node:zlib';

/** A reply as read: its status, its headers, and its body as text. */
export interface RawReply {
  status: number;
  statusText: string;
  header(name: string): string | null;
  text: string;
}

/** A reply past the bound: what was received of it is dropped and the connection closed. */
export class ReplyTooLarge extends Error {}

/** Connections are kept alive between calls, as fetch keeps them: a sync makes many calls in a row. */
const agents = { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true }) };

/**
 * POSTs the body and reads the whole reply as UTF-8 text (without a byte order mark, as fetch's text() reads it),
 * within the signal and at most maxBytes of it, inflated (else ReplyTooLarge). node:http rather than fetch: on a big
 * sync fetch's streams and header objects cost more CPU than the replies' JSON.parse. No redirect is followed.
 */
export function post(
  endpoint: string,
  headers: Record<string, string>,
  body: string,
  signal: AbortSignal,
  maxBytes: number,
): Promise<RawReply> {
  return new Promise<RawReply>((resolve, reject) => {
    let settled = false;
    const settle = (error: unknown, reply?: RawReply) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      if (reply) resolve(reply);
      else reject(error);
    };
    const onAbort = () => {
      request.destroy();
      settle(signal.reason ?? Object.assign(new Error('aborted'), { name: 'AbortError' }));
    };
    const url = new URL(endpoint);
    const secure = url.protocol === 'https:';
    const payload = Buffer.from(body, 'utf8');
    const request = (secure ? https : http).request(
      url,
      {
        method: 'POST',
        headers: { ...headers, 'Content-Length': String(payload.length) },
        agent: secure ? agents.https : agents.http,
      },
      (response) => readReply(response, maxBytes, settle, () => request.destroy()),
    );
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort);
    request.on('error', (error) => settle(error));
    request.end(payload);
  });
}

/**
 * Reads a reply to its end into a RawReply (settle(null, reply)), or settles with the error; past maxBytes, received
 * or inflated, with ReplyTooLarge, closing the connection (`close`) without reading the rest.
 */
function readReply(
  response: http.IncomingMessage,
  maxBytes: number,
  settle: (error: unknown, reply?: RawReply) => void,
  close: () => void,
): void {
  const tooLarge = () => {
    close();
    settle(new ReplyTooLarge());
  };
  if (Number(response.headers['content-length']) > maxBytes) return tooLarge();
  const chunks: Buffer[] = [];
  let received = 0;
  response.on('data', (chunk: Buffer) => {
    received += chunk.length;
    if (received > maxBytes) tooLarge();
    else chunks.push(chunk);
  });
  response.on('error', (error) => settle(error));
  response.on('aborted', () => settle(Object.assign(new Error('the reply was cut off'), { code: 'ECONNRESET' })));
  response.on('end', () => {
    let text: string;
    try {
      text = decode(Buffer.concat(chunks), response.headers['content-encoding'], maxBytes);
    } catch (error) {
      return (error as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE' ? tooLarge() : settle(error);
    }
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    settle(null, {
      status: response.statusCode ?? 0,
      statusText: response.statusMessage ?? '',
      header: (name) => {
        const value = response.headers[name.toLowerCase()];
        if (value === undefined) return null;
        return Array.isArray(value) ? value.join(', ') : value;
      },
      text,
    });
  });
}

/**
 * The body as text, inflated first when the server compressed it anyway (fetch asked for and undid gzip too), to at
 * most maxBytes (past them zlib throws ERR_BUFFER_TOO_LARGE).
 */
function decode(body: Buffer, encoding: string | undefined, maxBytes: number): string {
  const bound = { maxOutputLength: maxBytes };
  switch (encoding?.trim().toLowerCase()) {
    case 'gzip':
    case 'x-gzip':
      return zlib.gunzipSync(body, bound).toString('utf8');
    case 'deflate':
      return zlib.inflateSync(body, bound).toString('utf8');
    case 'br':
      return zlib.brotliDecompressSync(body, bound).toString('utf8');
    default:
      return body.toString('utf8');
  }
}
