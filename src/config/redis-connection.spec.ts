import { parseRedisConnection } from './redis-connection';

const ADDR = '127.0.0.1:6379';

describe(parseRedisConnection.name, () => {
  describe('from the guide’s host:port addr', () => {
    it('reads host and port, with db 0 and no TLS', () => {
      expect(parseRedisConnection('redis.internal:6380', undefined, undefined)).toEqual({
        host: 'redis.internal',
        port: 6380,
        password: undefined,
        db: 0,
        tls: false,
        display: 'redis.internal:6380',
      });
    });

    it('applies REDIS_PASSWORD to the addr form without showing it in display', () => {
      const connection = parseRedisConnection(ADDR, undefined, 'addr-secret');
      expect(connection.password).toBe('addr-secret');
      expect(connection.display).toBe(ADDR);
    });

    it.each(['redis.internal:0', 'redis.internal:99999'])('rejects the out-of-range port in %p', (addr) => {
      expect(() => parseRedisConnection(addr, undefined, undefined)).toThrow('the port must be between 1 and 65535');
    });

    it('strips the brackets of an IPv6 address', () => {
      expect(parseRedisConnection('[::1]:6390', undefined, undefined)).toMatchObject({ host: '::1', port: 6390 });
    });
  });

  describe('from a redis:// or rediss:// url', () => {
    it('wins over the addr', () => {
      expect(parseRedisConnection('other-host:1234', 'redis://cache.example:6400', undefined)).toMatchObject({
        host: 'cache.example',
        port: 6400,
      });
    });

    it('reads user, percent-encoded password and db, and keeps the credentials out of display', () => {
      const connection = parseRedisConnection(ADDR, 'redis://queue-user:p%40ss%3Aword@cache.example:6400/5', undefined);
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
      expect(parseRedisConnection(ADDR, 'rediss://secure.example', undefined)).toMatchObject({
        host: 'secure.example',
        port: 6379,
        db: 0,
        tls: true,
      });
    });

    it('falls back to REDIS_PASSWORD when the url carries none, and prefers the url’s own', () => {
      expect(parseRedisConnection(ADDR, 'redis://cache.example:6400', 'env-secret').password).toBe('env-secret');
      expect(parseRedisConnection(ADDR, 'redis://:url-secret@cache.example:6400', 'env-secret').password).toBe(
        'url-secret',
      );
    });

    it.each([
      ['an out-of-range port', 'redis://:hunter2-secret@cache.example:99999'],
      ['a port of 0', 'redis://:hunter2-secret@cache.example:0'],
      ['a malformed host', 'redis://:hunter2-secret@cache example'],
    ])('rejects %s without echoing the password', (_case, url) => {
      const parse = () => parseRedisConnection(ADDR, url, undefined);
      expect(parse).toThrow(Error);
      expect(messageOf(parse)).not.toContain('hunter2-secret');
    });

    it('rejects a db that is not a whole number without echoing the password', () => {
      const parse = () => parseRedisConnection(ADDR, 'redis://:hunter2-secret@cache.example:6400/two', undefined);
      expect(parse).toThrow('the database number after the / must be a whole number');
      expect(messageOf(parse)).not.toContain('hunter2-secret');
    });
  });
});

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected a throw');
}
