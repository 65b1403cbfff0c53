import { hasUserinfo, redactMonitorUrl } from './monitor-url';

describe('hasUserinfo', () => {
  it.each([
    'http://admin:zabbix@zbx.example/zabbix',
    'http://admin@zbx.example',
    'https://:secret@zbx.example:8443/',
    'http://a@b@zbx.example/',
    'http:admin:zabbix@zbx.example',
  ])('finds the credentials in %s', (url) => {
    expect(hasUserinfo(url)).toBe(true);
  });

  it.each([
    'http://zbx.example/zabbix',
    'http://zbx.example/a@b',
    'http://zbx.example/?mail=a@b',
    'http://zbx.example#x@y',
  ])('finds none in %s', (url) => {
    expect(hasUserinfo(url)).toBe(false);
  });
});

describe('redactMonitorUrl', () => {
  it('keeps a URL with nothing to hide exactly as stored', () => {
    for (const url of ['http://127.0.0.1:8080', 'https://Zbx.Example/zabbix/?lang=en&page=2', 'http://h/p?q#top']) {
      expect(redactMonitorUrl(url)).toBe(url);
    }
  });

  it.each([
    ['http://zbx.example/?api_token=abc&lang=en', 'http://zbx.example/?api_token=***&lang=en'],
    ['http://zbx.example/?lang=en&TOKEN=abc', 'http://zbx.example/?lang=en&TOKEN=***'],
    ['http://zbx.example/?apikey=a&api_key=b&API-Key=c', 'http://zbx.example/?apikey=***&api_key=***&API-Key=***'],
    ['http://zbx.example/?password=a&passwd=b&pwd=c', 'http://zbx.example/?password=***&passwd=***&pwd=***'],
    ['http://zbx.example/?secret=a&auth=b&access_token=c', 'http://zbx.example/?secret=***&auth=***&access_token=***'],
    ['http://zbx.example/?key=a&sessionid=b', 'http://zbx.example/?key=***&sessionid=***'],
    ['http://zbx.example/?api%5Fkey=a', 'http://zbx.example/?api%5Fkey=***'],
    ['http://zbx.example/zabbix#access_token=abc', 'http://zbx.example/zabbix#access_token=***'],
  ])('hides the value of a parameter named like a secret: %s', (url, shown) => {
    expect(redactMonitorUrl(url)).toBe(shown);
  });

  it('hides credentials stored in the URL before they were refused', () => {
    expect(redactMonitorUrl('http://admin:zabbix@zbx.example/zabbix?token=t')).toBe(
      'http://***@zbx.example/zabbix?token=***',
    );
    expect(redactMonitorUrl('http://a@b@zbx.example/')).toBe('http://***@zbx.example/');
  });
});
