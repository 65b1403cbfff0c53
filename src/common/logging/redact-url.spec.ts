import { redactUrl } from './redact-url';

const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl';

describe(redactUrl.name, () => {
  it.each([
    ['/api/v1/auth/me?access_token=abc', '/api/v1/auth/me?access_token=[redacted]'],
    ['/x?token=a&limit=5', '/x?token=[redacted]&limit=5'],
    [
      '/x?limit=5&api_key=k&apiKey=k&x-api-key=k',
      '/x?limit=5&api_key=[redacted]&apiKey=[redacted]&x-api-key=[redacted]',
    ],
    [
      '/x?password=p&new_password=p&passwd=p&pwd=p',
      '/x?password=[redacted]&new_password=[redacted]&passwd=[redacted]&pwd=[redacted]',
    ],
    [
      '/x?client_secret=s&SESSION=s&sig=s&Authorization=s',
      '/x?client_secret=[redacted]&SESSION=[redacted]&sig=[redacted]&Authorization=[redacted]',
    ],
    ['/x?access%5Ftoken=abc', '/x?access%5Ftoken=[redacted]'],
    ['/x?token[]=a&token[]=b', '/x?token[]=[redacted]&token[]=[redacted]'],
    [`/x?q=${JWT}`, '/x?q=[redacted]'],
    ['/x?token=a#frag', '/x?token=[redacted]#frag'],
    ['http://user:pw@host/x?id=1', 'http://[redacted]@host/x?id=1'],
  ])('redacts %s', (url, expected) => {
    expect(redactUrl(url)).toBe(expected);
  });

  it.each([
    '/api/v1/hosts',
    '/api/v1/hosts?limit=5&offset=10&name=web%25',
    '/api/v1/items?key=system.cpu.load&status=1',
    '/x?token',
    '/x?%E0%A4%A=1&a=%',
    '/admin/queues/api/queues?activeQueue=pull_hosts&page=1',
    '/a@b?c=1',
  ])('keeps %s as it is', (url) => {
    expect(redactUrl(url)).toBe(url);
  });
});
