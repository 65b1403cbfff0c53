import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from './config-error';
import { loadConfig } from './config.loader';
import {
  ioredisOptions,
  parseRedisConnection,
  parseSentinels,
  SENTINELS_MESSAGE,
  SENTINELS_WITH_URL_MESSAGE,
} from './redis-connection';

const ADDR = '127.0.0.1:6379';

/** The direct forms, as the loader passes them. */
const parse = (addr: string, url: string | undefined, password: string | undefined) =>
  parseRedisConnection({ addr, url, password });

describe(parseRedisConnection.name, () => {
  describe('from the guide’s host:port addr', () => {
    it('reads host and port, with db 0 and no TLS', () => {
      expect(parse('redis.internal:6380', undefined, undefined)).toEqual({
        host: 'redis.internal',
        port: 6380,
        password: undefined,
        db: 0,
        tls: false,
        display: 'redis.internal:6380',
      });
    });

    it('applies REDIS_PASSWORD to the addr form without showing it in display', () => {
      const connection = parse(ADDR, undefined, 'addr-secret');
      expect(connection.password).toBe('addr-secret');
      expect(connection.display).toBe(ADDR);
    });

    it.each(['redis.internal:0', 'redis.internal:99999'])('rejects the out-of-range port in %p', (addr) => {
      expect(() => parse(addr, undefined, undefined)).toThrow('the port must be between 1 and 65535');
    });

    it('strips the brackets of an IPv6 address', () => {
      expect(parse('[::1]:6390', undefined, undefined)).toMatchObject({ host: '::1', port: 6390 });
    });
  });

  describe('from a redis:// or rediss:// url', () => {
    it('wins over the addr', () => {
      expect(parse('other-host:1234', 'redis://cache.example:6400', undefined)).toMatchObject({
        host: 'cache.example',
        port: 6400,
      });
    });

    it('reads user, percent-encoded password and db, and keeps the credentials out of display', () => {
      const connection = parse(ADDR, 'redis://queue-user:p%40ss%3Aword@cache.example:6400/5', undefined);
      expect(connection).toEqual({
        host: 'cache.example',
        port: 6400,
        username: 'queue-user',
        password: 'p@ss:word',
        db: 5,
        tls: false,
        display: 'cache.example:6400',
      });
    });

    it('turns TLS on for rediss:// and defaults the port to 6379', () => {
      expect(parse(ADDR, 'rediss://secure.example', undefined)).toMatchObject({
        host: 'secure.example',
        port: 6379,
        db: 0,
        tls: true,
      });
    });

    it('falls back to REDIS_PASSWORD when the url carries none, and prefers the url’s own', () => {
      expect(parse(ADDR, 'redis://cache.example:6400', 'env-secret').password).toBe('env-secret');
      expect(parse(ADDR, 'redis://:url-secret@cache.example:6400', 'env-secret').password).toBe('url-secret');
    });

    it.each([
      ['an out-of-range port', 'redis://:hunter2-secret@cache.example:99999'],
      ['a port of 0', 'redis://:hunter2-secret@cache.example:0'],
      ['a malformed host', 'redis://:hunter2-secret@cache example'],
    ])('rejects %s without echoing the password', (_case, url) => {
      const attempt = () => parse(ADDR, url, undefined);
      expect(attempt).toThrow(Error);
      expect(messageOf(attempt)).not.toContain('hunter2-secret');
    });

    it('rejects a db that is not a whole number without echoing the password', () => {
      const attempt = () => parse(ADDR, 'redis://:hunter2-secret@cache.example:6400/two', undefined);
      expect(attempt).toThrow('the database number after the / must be a whole number');
      expect(messageOf(attempt)).not.toContain('hunter2-secret');
    });
  });
});

describe('Redis Sentinel', () => {
  const SENTINELS = [
    { host: '10.0.0.1', port: 26379 },
    { host: '10.0.0.2', port: 26380 },
  ];

  describe(parseSentinels.name, () => {
    it('reads the JSON list and the host:port,host:port form alike', () => {
      expect(parseSentinels(SENTINELS)).toEqual(SENTINELS);
      expect(parseSentinels('10.0.0.1:26379, 10.0.0.2:26380')).toEqual(SENTINELS);
      expect(parseSentinels('[::1]:26379')).toEqual([{ host: '::1', port: 26379 }]);
    });

    it('is undefined when unset', () => {
      expect(parseSentinels(undefined)).toBeUndefined();
    });

    it.each([
      ['an empty list', []],
      ['an object, not a list', { host: '10.0.0.1', port: 26379 }],
      ['a port out of range', [{ host: '10.0.0.1', port: 70000 }]],
      ['a port as text', [{ host: '10.0.0.1', port: '26379' }]],
      ['no host', [{ port: 26379 }]],
      ['an unknown field', [{ host: '10.0.0.1', port: 26379, password: 'x' }]],
      ['a host without a port', '10.0.0.1'],
      ['a malformed host', 'bad host:26379'],
    ])('refuses %s', (_case, value) => {
      expect(() => parseSentinels(value)).toThrow(SENTINELS_MESSAGE);
    });
  });

  describe(parseRedisConnection.name, () => {
    it('takes the sentinels, the master name and both passwords, waits for one replica, and shows no secret', () => {
      const connection = parseRedisConnection({
        addr: ADDR,
        password: 'master-secret',
        sentinels: SENTINELS,
        sentinel_name: 'queue-master',
        sentinel_password: 'sentinel-secret',
      });
      expect(connection).toMatchObject({
        password: 'master-secret',
        db: 0,
        sentinel: { sentinels: SENTINELS, name: 'queue-master', password: 'sentinel-secret' },
        replicasToAck: 1,
        display: 'sentinel master queue-master via 10.0.0.1:26379,10.0.0.2:26380',
      });
    });

    it('lets min_replicas_ack turn the replica wait off (0) or ask for more', () => {
      expect(parseRedisConnection({ addr: ADDR, sentinels: SENTINELS, min_replicas_ack: 0 }).replicasToAck).toBe(
        undefined,
      );
      expect(parseRedisConnection({ addr: ADDR, sentinels: SENTINELS, min_replicas_ack: 2 }).replicasToAck).toBe(2);
    });

    it('waits for no replica without sentinels unless min_replicas_ack asks', () => {
      expect(parseRedisConnection({ addr: ADDR }).replicasToAck).toBeUndefined();
      expect(parseRedisConnection({ addr: ADDR, min_replicas_ack: 1 }).replicasToAck).toBe(1);
    });
  });

  describe(ioredisOptions.name, () => {
    it('hands ioredis the sentinels, the name, both passwords and the READONLY reconnect, and no host', () => {
      const options = ioredisOptions(
        parseRedisConnection({
          addr: ADDR,
          password: 'master-secret',
          sentinels: SENTINELS,
          sentinel_name: 'mymaster',
          sentinel_password: 'sentinel-secret',
        }),
      );
      expect(options).toMatchObject({
        sentinels: SENTINELS,
        name: 'mymaster',
        password: 'master-secret',
        sentinelPassword: 'sentinel-secret',
        failoverDetector: false,
        db: 0,
      });
      expect(options.reconnectOnError?.(new Error("READONLY You can't write against a read only replica."))).toBe(2);
      expect(options.reconnectOnError?.(new Error('ERR wrong number of arguments'))).toBe(false);
      expect(options.host).toBeUndefined();
      expect(options.port).toBeUndefined();
      expect(options.retryStrategy?.(100)).toBe(2000);
      expect(options.sentinelRetryStrategy?.(1)).toBe(200);
    });

    it('keeps the direct form as it was: host, port, user, TLS and no sentinel settings', () => {
      const options = ioredisOptions(parse(ADDR, 'rediss://queue-user:pw@cache.example:6400/2', undefined));
      expect(options).toMatchObject({
        host: 'cache.example',
        port: 6400,
        username: 'queue-user',
        password: 'pw',
        db: 2,
        tls: {},
      });
      expect(options.sentinels).toBeUndefined();
      expect(options.retryStrategy?.(1)).toBe(200);
    });
  });

  describe('from the environment', () => {
    let cwd: string;
    beforeEach(() => (cwd = mkdtempSync(join(tmpdir(), 'nagare-sentinel-config-'))));
    afterEach(() => rmSync(cwd, { recursive: true, force: true }));
    const env = (extra: Record<string, string>) => ({ JWT_SECRET: 'x'.repeat(40), ...extra });

    it('reads REDIS_SENTINELS as JSON and defaults the master name to mymaster', () => {
      const config = loadConfig(env({ REDIS_SENTINELS: JSON.stringify(SENTINELS) }), cwd);
      expect(config.redis.sentinel).toEqual({ sentinels: SENTINELS, name: 'mymaster', password: undefined });
      expect(config.redis.replicasToAck).toBe(1);
    });

    it('reads the host:port,host:port form, the name and the sentinel password', () => {
      const config = loadConfig(
        env({
          REDIS_SENTINELS: '10.0.0.1:26379,10.0.0.2:26380',
          REDIS_SENTINEL_NAME: 'queue-master',
          REDIS_SENTINEL_PASSWORD: 'sentinel-secret',
          REDIS_MIN_REPLICAS_ACK: '2',
        }),
        cwd,
      );
      expect(config.redis.sentinel).toEqual({
        sentinels: SENTINELS,
        name: 'queue-master',
        password: 'sentinel-secret',
      });
      expect(config.redis.replicasToAck).toBe(2);
    });

    it.each([
      ['malformed JSON', '[{"host":"10.0.0.1",'],
      ['a bad port', '[{"host":"10.0.0.1","port":0}]'],
      ['an empty list', '[]'],
    ])('stops the boot naming redis.sentinels for %s', (_case, value) => {
      const problems = problemsOf(() => loadConfig(env({ REDIS_SENTINELS: value }), cwd));
      expect(problems).toEqual([`redis.sentinels (REDIS_SENTINELS): ${SENTINELS_MESSAGE}`]);
    });

    it('refuses REDIS_URL beside REDIS_SENTINELS, echoing neither password', () => {
      const problems = problemsOf(() =>
        loadConfig(
          env({
            REDIS_URL: 'redis://:url-secret@cache.example:6379',
            REDIS_SENTINELS: '10.0.0.1:26379',
            REDIS_SENTINEL_PASSWORD: 'sentinel-secret',
          }),
          cwd,
        ),
      );
      expect(problems).toEqual([`redis.sentinels (REDIS_SENTINELS): ${SENTINELS_WITH_URL_MESSAGE}`]);
      expect(problems.join()).not.toMatch(/url-secret|sentinel-secret/);
    });

    it.each([
      ['REDIS_SENTINEL_NAME', 'my master', 'redis.sentinel_name'],
      ['REDIS_MIN_REPLICAS_ACK', '-1', 'redis.min_replicas_ack'],
    ])('refuses a bad %s naming %s', (variable, value, key) => {
      const problems = problemsOf(() => loadConfig(env({ REDIS_SENTINELS: '10.0.0.1:26379', [variable]: value }), cwd));
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(new RegExp(`^${key.replace('.', '\\.')} \\(${variable}\\): `));
    });
  });
});

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected a throw');
}
