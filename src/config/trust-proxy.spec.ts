import { parseTrustProxy } from './trust-proxy';

describe('parseTrustProxy', () => {
  it.each([
    [false, false],
    [true, true],
    ['false', false],
    ['TRUE', true],
    ['', false],
    ['0', false],
    ['1', 1],
    ['2', 2],
    [10, 10],
    ['loopback', ['loopback']],
    ['10.0.0.0/8, 192.168.1.7', ['10.0.0.0/8', '192.168.1.7']],
    ['loopback,uniquelocal,fd00::/8', ['loopback', 'uniquelocal', 'fd00::/8']],
  ])('reads %p as %p', (input, expected) => {
    expect(parseTrustProxy(input)).toEqual(expected);
  });

  it.each([
    'maybe',
    '11',
    '-1',
    '1.5',
    '10.0.0.0/33',
    'fd00::/129',
    '10.0.0.1/8/2',
    'proxy.internal',
    '10.0.0.1,,',
    [1],
  ])('refuses %p', (input) => {
    expect(parseTrustProxy(input)).toBeUndefined();
  });
});
