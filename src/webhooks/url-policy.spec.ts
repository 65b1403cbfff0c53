import type { AppConfig } from '../config/app-config';
import { InvalidInputError } from '../common/http/domain-error';
import { ForbiddenCallbackError, type ResolvedAddress, UrlPolicy } from './url-policy';

/** A resolver answering from a table the test can change between calls, like a DNS that rebinds. */
function fakeDns(table: Record<string, string[]>) {
  const calls: string[] = [];
  const resolver = async (host: string): Promise<ResolvedAddress[]> => {
    calls.push(host);
    const found = table[host];
    if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return found.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  return { table, calls, resolver };
}

function policy(dns: ReturnType<typeof fakeDns>, webhook: Partial<AppConfig['webhook']> = {}): UrlPolicy {
  const config = {
    webhook: { allowPrivate: false, allowedHosts: [], timeoutMs: 5000, maxRetries: 5, backoffMs: 1000, ...webhook },
  } as unknown as AppConfig;
  return new UrlPolicy(config, dns.resolver);
}

async function refusal(check: Promise<unknown>): Promise<string> {
  try {
    await check;
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidInputError);
    return (error as Error).message;
  }
  throw new Error('the URL was accepted');
}

describe('UrlPolicy', () => {
  const dns = fakeDns({
    'hooks.example.com': ['93.184.216.34'],
    'dual.example.com': ['93.184.216.34', '2606:2800:220:1::1'],
    'internal.example.com': ['10.1.2.3'],
    'sneaky.example.com': ['93.184.216.34', '127.0.0.1'],
    'v6-local.example.com': ['::1'],
    'mapped.example.com': ['::ffff:169.254.169.254'],
    localhost: ['127.0.0.1', '::1'],
  });

  it('accepts an http(s) URL whose host resolves only to public addresses, and returns its normal form', async () => {
    await expect(policy(dns).checkCallbackUrl('https://HOOKS.example.com/x?y=1')).resolves.toBe(
      'https://hooks.example.com/x?y=1',
    );
    await expect(policy(dns).checkCallbackUrl('http://dual.example.com:8080/')).resolves.toBe(
      'http://dual.example.com:8080/',
    );
    await expect(policy(dns).checkCallbackUrl('http://8.8.8.8/hook')).resolves.toBe('http://8.8.8.8/hook');
  });

  it.each([
    ['ftp://hooks.example.com/x', /callback_url must be an http or https URL/],
    ['file:///etc/passwd', /callback_url must be an http or https URL/],
    ['not a url', /callback_url must be an absolute http or https URL/],
    ['https://user:pw@hooks.example.com/', /callback_url must not carry credentials/],
    ['http://127.0.0.1:9000/', /callback_url points to a loopback address/],
    ['http://[::1]/', /callback_url points to a loopback address/],
    ['http://10.0.0.8/', /callback_url points to a private address/],
    ['http://169.254.169.254/latest/meta-data/', /callback_url points to a metadata address/],
    ['http://[::ffff:a9fe:a9fe]/', /metadata/],
    ['http://0.0.0.0:8080/', /unspecified/],
    ['http://localhost:8080/', /localhost resolves to 127\.0\.0\.1/],
    ['http://internal.example.com/', /internal\.example\.com resolves to 10\.1\.2\.3/],
    ['http://sneaky.example.com/', /sneaky\.example\.com resolves to 127\.0\.0\.1/],
    ['http://v6-local.example.com/', /loopback/],
    ['http://mapped.example.com/', /metadata/],
    ['http://metadata.google.internal/computeMetadata/v1/', /cloud metadata service/],
    ['http://nowhere.example.com/', /callback_url host nowhere\.example\.com does not resolve/],
  ])('refuses %s with a 400 naming callback_url', async (url, message) => {
    expect(await refusal(policy(dns).checkCallbackUrl(url))).toMatch(message);
  });

  it('with allow_private lets private and loopback addresses through but never metadata ones', async () => {
    const open = policy(dns, { allowPrivate: true });
    await expect(open.checkCallbackUrl('http://127.0.0.1:9000/')).resolves.toBe('http://127.0.0.1:9000/');
    await expect(open.checkCallbackUrl('http://internal.example.com/')).resolves.toBe('http://internal.example.com/');
    await expect(open.checkCallbackUrl('http://[fd00::5]/')).resolves.toBe('http://[fd00::5]/');
    expect(await refusal(open.checkCallbackUrl('http://169.254.169.254/'))).toMatch(/metadata/);
    expect(await refusal(open.checkCallbackUrl('http://metadata.google.internal/'))).toMatch(/metadata/);
    expect(await refusal(open.checkCallbackUrl('ftp://127.0.0.1/'))).toMatch(/http or https/);
  });

  it('lets a host listed in allowed_hosts through whatever it resolves to, and only that host', async () => {
    const listed = policy(dns, { allowedHosts: ['internal.example.com', '127.0.0.1'] });
    await expect(listed.checkCallbackUrl('http://internal.example.com/hook')).resolves.toBe(
      'http://internal.example.com/hook',
    );
    await expect(listed.checkCallbackUrl('http://127.0.0.1:4000/hook')).resolves.toBe('http://127.0.0.1:4000/hook');
    expect(await refusal(listed.checkCallbackUrl('http://localhost:4000/hook'))).toMatch(/loopback/);
    expect(await refusal(listed.checkCallbackUrl('http://10.0.0.8/'))).toMatch(/private/);
  });

  it('checks again at delivery: a host that passed at enqueue and now resolves to a private address is refused', async () => {
    const rebinding = fakeDns({ 'rebind.example.com': ['93.184.216.34'] });
    const p = policy(rebinding);
    await expect(p.checkCallbackUrl('http://rebind.example.com/hook')).resolves.toBe('http://rebind.example.com/hook');
    rebinding.table['rebind.example.com'] = ['169.254.169.254'];
    await expect(p.resolve(new URL('http://rebind.example.com/hook'))).rejects.toThrow(ForbiddenCallbackError);
    await expect(p.resolve(new URL('http://rebind.example.com/hook'))).rejects.toThrow(/metadata/);
    expect(rebinding.calls).toEqual(['rebind.example.com', 'rebind.example.com', 'rebind.example.com']);
  });

  it('at delivery returns the checked address to connect to, so the connection cannot be rebound', async () => {
    const p = policy(dns);
    await expect(p.resolve(new URL('http://dual.example.com/'))).resolves.toEqual({
      address: '93.184.216.34',
      family: 4,
    });
    await expect(p.resolve(new URL('http://[2606:2800:220:1::1]:81/'))).resolves.toEqual({
      address: '2606:2800:220:1::1',
      family: 6,
    });
  });

  it('refuses a host that does not resolve in time', async () => {
    const slow = new UrlPolicy(
      { webhook: { allowPrivate: false, allowedHosts: [] } } as unknown as AppConfig,
      () => new Promise(() => undefined),
    );
    const started = Date.now();
    expect(await refusal(slow.checkCallbackUrl('http://slow.example.com/'))).toMatch(/did not resolve within/);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
