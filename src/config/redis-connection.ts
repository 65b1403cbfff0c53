import type { RedisConnection } from './app-config';

/** Builds the connection from `redis.url` when given (it wins), else from the guide's `redis.addr`. */
export function parseRedisConnection(
  addr: string,
  url: string | undefined,
  password: string | undefined,
): RedisConnection {
  if (url) {
    const parsed = parseUrl(url);
    const db = parsed.pathname.length > 1 ? Number(parsed.pathname.slice(1)) : 0;
    if (!Number.isInteger(db) || db < 0) throw new Error('the database number after the / must be a whole number');
    const host = parsed.hostname.replace(/^\[|\]$/g, '');
    const port = checkedPort(parsed.port ? Number(parsed.port) : 6379);
    return {
      host,
      port,
      username: parsed.username ? decodeURIComponent(parsed.username) : undefined,
      password: parsed.password ? decodeURIComponent(parsed.password) : password,
      db,
      tls: parsed.protocol === 'rediss:',
      display: `${parsed.hostname}:${port}`,
    };
  }
  const split = addr.lastIndexOf(':');
  const host = addr.slice(0, split).replace(/^\[|\]$/g, '');
  const port = checkedPort(Number(addr.slice(split + 1)));
  return { host, port, password, db: 0, tls: false, display: addr };
}

/** `new URL` names no reason, and its error carries the whole input, password included: neither is passed on. */
function parseUrl(url: string): URL {
  try {
    return new URL(url);
  } catch {
    throw new Error('not a valid URL (check the host, the port and the percent-encoding of user and password)');
  }
}

function checkedPort(port: number): number {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error('the port must be between 1 and 65535');
  return port;
}
