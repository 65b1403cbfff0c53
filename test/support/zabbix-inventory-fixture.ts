import { FakeRpcError, FakeZabbix, fakeHost, fakeItem } from './zabbix';

/** When the fixture's collected items got their last value (Zabbix `lastclock`, seconds). */
export const FIXTURE_CLOCK = 1_764_000_000;
/** Every UNSUPPORTED_EVERY-th item of a host (the last of ten) is not supported, as real Zabbix reports one. */
export const UNSUPPORTED_EVERY = 10;
export const UNSUPPORTED_ERROR =
  'Value of type "string" is not suitable for value type "Numeric (unsigned)". Value "n/a"';

/** The value, clock and state of a host's i-th item, as Zabbix answers item.get. */
function fixtureItemFields(i: number): Record<string, string> {
  if (i % UNSUPPORTED_EVERY === UNSUPPORTED_EVERY - 1) {
    return { lastvalue: '0', lastclock: '0', state: '1', error: UNSUPPORTED_ERROR };
  }
  return { lastvalue: String(i), lastclock: String(FIXTURE_CLOCK + i), state: '0', error: '' };
}

/**
 * A Zabbix-compatible server holding a generated inventory (hosts × items per host) that a test can change
 * between pulls: for the sync at scale and for what a real server cannot be made to do on demand.
 */
export class ZabbixInventoryFixture {
  readonly hosts = new Map<string, Record<string, unknown>>();
  readonly items = new Map<string, Record<string, unknown>>();
  /** Hosts whose items Zabbix refuses to give: an item.get naming one of them fails, as for a missing permission. */
  readonly refusedItemsOf = new Set<string>();

  private constructor(readonly fake: FakeZabbix) {}

  static async start(hostCount: number, itemsPerHost: number): Promise<ZabbixInventoryFixture> {
    const fixture = new ZabbixInventoryFixture(await FakeZabbix.start());
    for (let h = 0; h < hostCount; h++) {
      const hostid = String(20_000 + h);
      fixture.hosts.set(
        hostid,
        fakeHost(hostid, {
          interfaces: [
            {
              interfaceid: `9${hostid}`,
              ip: `127.${(h >> 16) & 255}.${(h >> 8) & 255}.${h & 255}`,
              dns: '',
              port: '10050',
              type: '1',
              main: '1',
              useip: '1',
            },
          ],
          groups: [{ groupid: String(100 + (h % 5)), name: `Group ${h % 5}` }],
        }),
      );
      for (let i = 0; i < itemsPerHost; i++) {
        const itemid = String(1_000_000 + h * itemsPerHost + i);
        fixture.items.set(itemid, fakeItem(itemid, hostid, fixtureItemFields(i)));
      }
    }
    fixture.fake
      .on('host.get', (request) => {
        const wanted = request.params.hostids as string[] | undefined;
        const found = wanted
          ? wanted.flatMap<Record<string, unknown>>((id) => fixture.hosts.get(String(id)) ?? [])
          : [...fixture.hosts.values()];
        // selectItems: 'count' adds each host's item count as Zabbix does: a string, under `items`.
        if (request.params.selectItems !== 'count') return found;
        const counts = fixture.itemCounts();
        return found.map((host) => ({ ...host, items: String(counts.get(String(host.hostid)) ?? 0) }));
      })
      .on('item.get', (request) => {
        const itemIds = request.params.itemids as string[] | undefined;
        if (itemIds) return itemIds.flatMap((id) => fixture.items.get(String(id)) ?? []);
        const hostIds = new Set((request.params.hostids as string[]).map(String));
        for (const hostId of hostIds) {
          if (fixture.refusedItemsOf.has(hostId)) throw new FakeRpcError('No permissions to referred object.');
        }
        return [...fixture.items.values()].filter((item) => hostIds.has(String(item.hostid)));
      })
      // A monitor with no problem open: an alert pull finds nothing to add or resolve.
      .on('problem.get', () => [])
      .on('trigger.get', () => [])
      .on('event.get', () => []);
    return fixture;
  }

  get url(): string {
    return this.fake.url;
  }

  get password(): string {
    return this.fake.password;
  }

  /** Items per host id. */
  private itemCounts(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const item of this.items.values()) counts.set(String(item.hostid), (counts.get(String(item.hostid)) ?? 0) + 1);
    return counts;
  }

  removeHost(hostid: string): void {
    this.hosts.delete(hostid);
    for (const [itemid, item] of this.items) if (item.hostid === hostid) this.items.delete(itemid);
  }

  close(): Promise<void> {
    return this.fake.close();
  }
}
