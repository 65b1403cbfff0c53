import { MAX_REASON_LENGTH, NO_REASON, normaliseErrorReason } from './error-reason';

describe(normaliseErrorReason.name, () => {
  it.each([
    ['Monitor 12 not found', 'Monitor <n> not found'],
    [
      'Monitor unreachable: connect ECONNREFUSED 127.0.0.1:5999 (apiinfo.version)',
      'Monitor unreachable: connect ECONNREFUSED <addr> (apiinfo.version)',
    ],
    ['connect ECONNREFUSED [::1]:6379', 'connect ECONNREFUSED <addr>'],
    ['connect ETIMEDOUT zabbix.example.com:443', 'connect ETIMEDOUT <addr>'],
    ['getaddrinfo ENOTFOUND zabbix.example.com (host.get)', 'getaddrinfo ENOTFOUND <host> (host.get)'],
    [
      'Monitor unreachable: no reply to host.get within 250 ms',
      'Monitor unreachable: no reply to host.get within <n> ms',
    ],
    [
      'Monitor unreachable: HTTP 500 Internal Server Error from apiinfo.version',
      'Monitor unreachable: HTTP 500 Internal Server Error from apiinfo.version',
    ],
    [
      'Monitor unreachable: HTTP 302 redirect to https://zabbix.example.com/login.php ',
      'Monitor unreachable: HTTP 302 redirect to <url>',
    ],
    ['Host group "Web servers" already exists.', 'Host group <value> already exists.'],
    ["Item 'cpu.load[all,avg1]' on host 7 is not supported", 'Item <value> on host <n> is not supported'],
    ['job 3f2c1e0a-9b8d-4c7e-a6f5-0123456789ab lost', 'job <uuid> lost'],
    ['request 5f1d0c2ab34e9f77aa01 failed', 'request <id> failed'],
    [
      'Monitor API error in item.update: no item with id 5 on the monitor',
      'Monitor API error in item.update: no item with id <n> on the monitor',
    ],
    [
      'pull_hosts payload: monitor_id must be a positive integer',
      'pull_hosts payload: monitor_id must be a positive integer',
    ],
    ['  several\n  lines\tand   spaces ', 'several lines and spaces'],
  ])('%j is %j', (message, reason) => {
    expect(normaliseErrorReason(message)).toBe(reason);
  });

  it('gives failures of one kind one reason, and failures of other kinds another', () => {
    const a = normaliseErrorReason('Monitor unreachable: connect ECONNREFUSED 127.0.0.1:41234 (apiinfo.version)');
    const b = normaliseErrorReason('Monitor unreachable: connect ECONNREFUSED 10.0.0.7:443 (apiinfo.version)');
    const c = normaliseErrorReason('Monitor unreachable: HTTP 503 Service Unavailable from apiinfo.version');
    expect(a).toBe(b);
    expect(c).not.toBe(a);
    expect(normaliseErrorReason('Monitor 1 not found')).toBe(normaliseErrorReason('Monitor 98765 not found'));
  });

  it('keeps words that merely look like hex, and is idempotent', () => {
    expect(normaliseErrorReason('deadbeef accepted')).toBe('deadbeef accepted');
    const once = normaliseErrorReason('Monitor 3 rejected "x" at http://h:1/api from 1.2.3.4:5');
    expect(normaliseErrorReason(once)).toBe(once);
  });

  it('names an empty error, and cuts a long one', () => {
    expect(normaliseErrorReason('')).toBe(NO_REASON);
    expect(normaliseErrorReason(undefined)).toBe(NO_REASON);
    const long = normaliseErrorReason('word '.repeat(200));
    expect(long).toHaveLength(MAX_REASON_LENGTH);
    expect(long.endsWith('...')).toBe(true);
  });
});
