import { registerDecorator, type ValidationArguments } from 'class-validator';
import type { RedisOptions } from 'ioredis';
import type { RedisConnection, SentinelAddress } from './app-config';

/** The `redis` section of the configuration, as validated. */
export interface RedisSettings {
  addr: string;
  url?: string;
  password?: string;
  sentinels?: unknown;
  sentinel_name?: string;
  sentinel_password?: string;
  min_replicas_ack?: number;
}

export const SENTINELS_MESSAGE =
  'sentinels must be a JSON list such as [{"host":"10.0.0.1","port":26379}] or host:port,host:port, with ports from 1 to 65535';
export const SENTINELS_WITH_URL_MESSAGE =
  'sentinels and url cannot both be set: with sentinels, the master comes from the sentinels (its password from redis.password)';

const HOST = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)$/;
const MAX_RECONNECT_DELAY_MS = 2000;

/**
 * Builds the connection. With `redis.sentinels` the master is whatever the sentinels name (the addr is ignored,
 * a url refused by the schema); else from `redis.url` when given (it wins), else from the guide's `redis.addr`.
 * Enqueues wait for `min_replicas_ack` replicas: by default 1 with sentinels, 0 without.
 */
export function parseRedisConnection(settings: RedisSettings): RedisConnection {
  const sentinels = parseSentinels(settings.sentinels);
  if (sentinels) {
    const name = settings.sentinel_name ?? 'mymaster';
    const replicasToAck = settings.min_replicas_ack ?? 1;
    return {
      // Unused with sentinels (ioredis asks them for the master); kept so the shape stays one.
      ...parseDirect(settings.addr, undefined, settings.password),
      sentinel: { sentinels, name, password: settings.sentinel_password },
      replicasToAck: replicasToAck > 0 ? replicasToAck : undefined,
      display: `sentinel master ${name} via ${sentinels.map(formatAddress).join(',')}`,
    };
  }
  const connection = parseDirect(settings.addr, settings.url, settings.password);
  return settings.min_replicas_ack ? { ...connection, replicasToAck: settings.min_replicas_ack } : connection;
}

/**
 * `[{host, port}, …]` (the file's or REDIS_SENTINELS's JSON) or `host:port,host:port`; undefined when unset,
 * an error naming no value (they are not secret, but the message stays the same for every input) when malformed.
 */
export function parseSentinels(value: unknown): SentinelAddress[] | undefined {
  if (value === undefined || value === null) return undefined;
  const list = typeof value === 'string' ? value.split(',').map((part) => splitHostPort(part.trim())) : value;
  if (!Array.isArray(list) || list.length === 0) throw new Error(SENTINELS_MESSAGE);
  return list.map((entry: unknown) => {
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) throw new Error(SENTINELS_MESSAGE);
    const { host, port, ...rest } = entry as Record<string, unknown>;
    const validPort = Number.isInteger(port) && (port as number) >= 1 && (port as number) <= 65535;
    if (typeof host !== 'string' || !HOST.test(host) || !validPort || Object.keys(rest).length > 0) {
      throw new Error(SENTINELS_MESSAGE);
    }
    return { host: host.replace(/^\[|\]$/g, ''), port: port as number };
  });
}

/** `redis.sentinels`: a list parseSentinels takes, and no `redis.url` beside it. */
export function IsSentinelList() {
  return (target: object, propertyName: string) =>
    registerDecorator({
      name: 'isSentinelList',
      target: target.constructor,
      propertyName,
      validator: {
        validate: (value: unknown, args: ValidationArguments) => {
          if ((args.object as { url?: string }).url) return false;
          try {
            return parseSentinels(value) !== undefined;
          } catch {
            return false;
          }
        },
        defaultMessage: (args: ValidationArguments) =>
          (args.object as { url?: string }).url ? SENTINELS_WITH_URL_MESSAGE : SENTINELS_MESSAGE,
      },
    });
}

/** What RedisConnections hands to ioredis for every connection (each role adds its own settings). */
export function ioredisOptions(connection: RedisConnection): RedisOptions {
  const common: RedisOptions = {
    password: connection.password,
    db: connection.db,
    connectTimeout: 5000,
    // Reconnect forever, at most every 2 s, so the service recovers by itself when Redis (or a new master) returns.
    retryStrategy: (attempt) => Math.min(attempt * 200, MAX_RECONNECT_DELAY_MS),
  };
  const { sentinel } = connection;
  if (!sentinel) {
    return {
      ...common,
      host: connection.host,
      port: connection.port,
      username: connection.username,
      tls: connection.tls ? {} : undefined,
    };
  }
  return {
    ...common,
    sentinels: sentinel.sentinels.map(({ host, port }) => ({ host, port })),
    name: sentinel.name,
    sentinelPassword: sentinel.password,
    // ioredis's failover detector is left off: with it (ioredis 5.11) the connections never came back after the
    // master was killed. Without it every reconnect asks the sentinels for the master again, and a master that
    // was demoted while still alive answers writes with READONLY, on which the connection reconnects and resends.
    failoverDetector: false,
    reconnectOnError: (error) => (error.message.startsWith('READONLY') ? 2 : false),
    // Sentinels down too: ask again, at most every 2 s, forever.
    sentinelRetryStrategy: (attempt) => Math.min(attempt * 200, MAX_RECONNECT_DELAY_MS),
  };
}

function parseDirect(addr: string, url: string | undefined, password: string | undefined): RedisConnection {
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

function splitHostPort(text: string): unknown {
  const split = text.lastIndexOf(':');
  if (split < 1 || !/^\d{1,5}$/.test(text.slice(split + 1))) return text;
  return { host: text.slice(0, split), port: Number(text.slice(split + 1)) };
}

function formatAddress({ host, port }: SentinelAddress): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
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
