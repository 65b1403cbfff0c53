import { redactCallbackUrl } from './redact-callback-url';

describe(redactCallbackUrl.name, () => {
  it.each([
    ['https://hooks.example.com/nagare', 'https://hooks.example.com/nagare'],
    ['http://127.0.0.1:8080/hooks/nagare/', 'http://127.0.0.1:8080/hooks/nagare/'],
    [
      'https://hooks.slack.com/services/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',
      'https://hooks.slack.com/services/T0AB12CD3/B0EF45GH6/[redacted]',
    ],
    [
      'https://discord.com/api/webhooks/123456789012345678/abcdefghijklmnopqrstuvwxyzABCDEFGHIJ',
      'https://discord.com/api/webhooks/[redacted]/[redacted]',
    ],
    ['https://example.com/hook/0b7e4c4a-3f1d-4a59-9a63-2f8e6f1c5d21', 'https://example.com/hook/[redacted]'],
    [
      'https://fn.azurewebsites.net/api/nagare?code=s3cr3t&clientId=default',
      'https://fn.azurewebsites.net/api/nagare?code=[redacted]&clientId=[redacted]',
    ],
    ['https://example.com/hook?flag', 'https://example.com/hook?[redacted]'],
    ['https://example.com/hook#frag', 'https://example.com/hook'],
    ['https://user:pw@example.com/hook', 'https://example.com/hook'],
  ])('shows %s as %s', (url, shown) => {
    expect(redactCallbackUrl(url)).toBe(shown);
  });

  it('shows nothing of a URL it cannot parse', () => {
    expect(redactCallbackUrl('not a url with a secret')).toBe('[redacted]');
  });
});
