import { Logger, type LoggerService } from '@nestjs/common';
import type { HostDraft, ItemDraft, MonitorTarget } from '../../src/monitors/providers/monitor-provider';
import { ZabbixProvider, type ZabbixProviderOptions } from '../../src/monitors/providers/zabbix/zabbix.provider';
import { FakeZabbix, type FakeZabbixOptions, fakeHost } from './zabbix';

/** Ports differ from one fake server to the next; what matters is the rest of the message. */
export const withoutPorts = (message: string) => message.replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:<port>');

/** Every line the provider logs, to prove none of them carries a secret. */
class CapturingLogger implements LoggerService {
  readonly lines: string[] = [];
  log = (...args: unknown[]) => this.lines.push(args.map(String).join(' '));
  error = this.log;
  warn = this.log;
  debug = this.log;
  verbose = this.log;
  fatal = this.log;
}

export interface ProviderSetup {
  fake: FakeZabbix;
  provider: ZabbixProvider;
  target: MonitorTarget;
  /** What the session token store was given, in order. */
  tokens: (string | null)[];
}

export function targetFor(fake: FakeZabbix, overrides: Partial<MonitorTarget> = {}): MonitorTarget {
  return { monitorId: 7, url: fake.url, username: fake.username, password: fake.password, ...overrides };
}

export const hostDraft = (overrides: Partial<HostDraft> = {}): HostDraft => ({
  name: 'Web 01',
  description: 'front web server',
  ipAddr: '127.1.2.3',
  enabled: true,
  technicalName: null,
  groupNames: ['Web servers'],
  ...overrides,
});

export const itemDraft = (overrides: Partial<ItemDraft> = {}): ItemDraft => ({
  name: 'Requests',
  key: 'web.requests',
  valueType: 3,
  units: 'rps',
  description: 'requests per second',
  enabled: true,
  ...overrides,
});

export const failure = (promise: Promise<unknown>): Promise<Error> =>
  promise.then(
    () => {
      throw new Error('expected a failure');
    },
    (error: Error) => error,
  );

/**
 * The ZabbixProvider specs' shared setup, registered in the calling describe: the provider's log lines captured,
 * and every fake Zabbix started by setup() closed after each test.
 */
export function useZabbixProviderHarness() {
  const logs = new CapturingLogger();
  const fakes: FakeZabbix[] = [];

  beforeAll(() => Logger.overrideLogger(logs));
  afterAll(() => Logger.overrideLogger(new Logger()));
  afterEach(async () => {
    await Promise.all(fakes.splice(0).map((fake) => fake.close()));
  });

  async function setup(
    fakeOptions: FakeZabbixOptions = {},
    options: ZabbixProviderOptions = {},
  ): Promise<ProviderSetup> {
    const fake = await FakeZabbix.start(fakeOptions);
    fakes.push(fake);
    const tokens: (string | null)[] = [];
    const provider = new ZabbixProvider(options, { keep: async (_monitorId, token) => void tokens.push(token) });
    fake.on('host.get', () => [fakeHost('10084')]);
    return { fake, provider, target: targetFor(fake), tokens };
  }

  /** A fake started by the spec itself, closed after the test like setup()'s. */
  const closeAfterTest = (fake: FakeZabbix): FakeZabbix => {
    fakes.push(fake);
    return fake;
  };

  return { logs, setup, closeAfterTest };
}
