import { InvalidInputError } from '../../common/http/domain-error';
import { idempotencyRecordKey, parseIdempotencyKey, requestFingerprint } from './idempotency-key';

const pull = { method: 'POST', path: '/api/v1/monitors/1/hosts/pull-async', query: {}, body: {} };

describe(parseIdempotencyKey.name, () => {
  it('is undefined when the request sent no key', () => {
    expect(parseIdempotencyKey(undefined)).toBeUndefined();
  });

  it('accepts 1 to 255 printable characters as sent', () => {
    expect(parseIdempotencyKey('a')).toBe('a');
    expect(parseIdempotencyKey('k'.repeat(255))).toBe('k'.repeat(255));
    expect(parseIdempotencyKey('8e03978e-40d5-43e8-bc93-6894a57f9324')).toBe('8e03978e-40d5-43e8-bc93-6894a57f9324');
  });

  it.each([
    ['empty', ''],
    ['256 characters', 'k'.repeat(256)],
    ['a control character', 'key\u0007'],
    ['non-ASCII', 'clé'],
  ])('refuses a key that is %s with a 400 naming the header', (_what, key) => {
    expect(() => parseIdempotencyKey(key)).toThrow(
      new InvalidInputError('Idempotency-Key must be 1 to 255 printable ASCII characters'),
    );
  });
});

describe(requestFingerprint.name, () => {
  it('is the same for the same request, whatever the order of its fields', () => {
    const a = { ...pull, body: { callback_url: 'https://a.example/x', b: [1, { y: 1, x: 2 }] } };
    const b = { ...pull, body: { b: [1, { x: 2, y: 1 }], callback_url: 'https://a.example/x' } };
    expect(requestFingerprint(a)).toBe(requestFingerprint(b));
    expect(requestFingerprint({ ...pull, method: 'post' })).toBe(requestFingerprint(pull));
  });

  it('treats a missing body or query as an empty one', () => {
    expect(requestFingerprint({ ...pull, body: undefined, query: undefined })).toBe(requestFingerprint(pull));
  });

  it('differs when the method, the path, the query or the body differs', () => {
    const others = [
      { ...pull, method: 'PUT' },
      { ...pull, path: '/api/v1/monitors/2/hosts/pull-async' },
      { ...pull, query: { count: '2' } },
      { ...pull, body: { callback_url: 'https://a.example/x' } },
      { ...pull, body: [] },
    ];
    const prints = new Set([pull, ...others].map(requestFingerprint));
    expect(prints.size).toBe(others.length + 1);
  });
});

describe(idempotencyRecordKey.name, () => {
  it('scopes the key per user and never stores the key itself', () => {
    const mine = idempotencyRecordKey('nagare:queue', 1, 'my-secret-key');
    expect(mine).toMatch(/^nagare:queue:idem:1:[0-9a-f]{64}$/);
    expect(mine).not.toContain('my-secret-key');
    expect(idempotencyRecordKey('nagare:queue', 2, 'my-secret-key')).not.toBe(mine);
  });
});
