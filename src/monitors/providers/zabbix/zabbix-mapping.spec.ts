import { MonitorApiError } from '../provider-errors';
import { addressOf, mapInChunks, technicalHostName, toRemoteItem, type ZabbixInterface } from './zabbix-mapping';

const iface = (overrides: Partial<ZabbixInterface>): ZabbixInterface => ({
  interfaceid: '1',
  ip: '10.0.0.1',
  dns: '',
  port: '10050',
  type: '1',
  main: '1',
  useip: '1',
  ...overrides,
});

describe('technicalHostName', () => {
  it.each([
    ['Web 01', 'Web 01'],
    ['db-01.example_org', 'db-01.example_org'],
    ['Café  Olé', 'Cafe Ole'],
    ['web/01:8080 (prod)', 'web_01_8080 _prod_'],
    ['サーバー', '____'],
    ['   ', 'host'],
  ])('turns %j into %j', (name, technical) => {
    expect(technicalHostName(name)).toBe(technical);
  });

  it('keeps to 128 characters, the most Zabbix takes', () => {
    expect(technicalHostName('x'.repeat(300))).toHaveLength(128);
  });
});

describe('addressOf', () => {
  it('takes the main agent interface among several main ones', () => {
    expect(
      addressOf([
        iface({ type: '2', ip: '10.0.0.2' }),
        iface({ type: '1', main: '0', ip: '10.0.0.3' }),
        iface({ type: '1', ip: '10.0.0.4' }),
      ]),
    ).toBe('10.0.0.4');
  });

  it('falls back to another main interface when there is no agent one', () => {
    expect(addressOf([iface({ type: '2', ip: '10.0.0.2' })])).toBe('10.0.0.2');
  });

  it('gives the DNS name of an interface that connects by name', () => {
    expect(addressOf([iface({ useip: '0', ip: '', dns: 'db.example' })])).toBe('db.example');
  });

  it('gives null without a main interface or an address', () => {
    expect(addressOf([])).toBeNull();
    expect(addressOf([iface({ main: '0' })])).toBeNull();
    expect(addressOf([iface({ ip: '' })])).toBeNull();
  });
});

describe('toRemoteItem', () => {
  const record = {
    itemid: '1',
    hostid: '2',
    name: 'CPU',
    key_: 'system.cpu.load',
    lastvalue: '0.25',
    units: '',
    description: 'Load of the CPU',
    value_type: '0',
    status: '0',
    lastclock: '1700000000',
    state: '0',
    error: '',
  };

  it('converts Zabbix strings to numbers, booleans and dates', () => {
    expect(toRemoteItem(record, 0)).toEqual({
      externalId: '1',
      externalHostId: '2',
      name: 'CPU',
      key: 'system.cpu.load',
      valueType: 0,
      lastValue: '0.25',
      units: '',
      description: 'Load of the CPU',
      enabled: true,
      lastClock: new Date('2023-11-14T22:13:20.000Z'),
      state: 'normal',
      stateError: '',
    });
  });

  it('reads state "1" as not_supported with the reason Zabbix gives', () => {
    const unsupported = { ...record, state: '1', error: 'Value "n/a" is not suitable', lastclock: '0' };
    expect(toRemoteItem(unsupported, 0)).toMatchObject({
      state: 'not_supported',
      stateError: 'Value "n/a" is not suitable',
      lastValue: null,
      lastClock: null,
    });
  });

  it('drops the error Zabbix keeps after an item became supported again', () => {
    expect(toRemoteItem({ ...record, state: '0', error: 'an old failure' }, 0)).toMatchObject({
      state: 'normal',
      stateError: '',
    });
  });

  it('rejects a record without an itemid', () => {
    expect(() => toRemoteItem({ ...record, itemid: undefined }, 3)).toThrow(
      new MonitorApiError('Monitor sent a malformed reply to item.get: item 3 has no string "itemid"'),
    );
  });
});

describe('mapInChunks', () => {
  it('maps every entry in order and lets other callbacks run between chunks', async () => {
    const list = Array.from({ length: 1_200 }, (_, i) => i);
    let otherWorkRan = false;
    setImmediate(() => (otherWorkRan = true));
    const seen: boolean[] = [];
    const mapped = await mapInChunks(list, (entry, index) => {
      if (index === 0 || index === list.length - 1) seen.push(otherWorkRan);
      return (entry as number) * 2;
    });
    expect(mapped).toEqual(list.map((n) => n * 2));
    expect(seen).toEqual([false, true]);
  });
});
