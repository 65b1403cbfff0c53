import type { RemoteItem } from '../providers/monitor-provider';
import { HOST_UPSERTS, ITEM_UPSERTS, itemRow, itemSyncHash } from './inventory-tables';

const SYNCED_AT = new Date('2026-12-06T12:00:00.000Z');

const ITEM: RemoteItem = {
  externalId: '23001',
  externalHostId: '10501',
  name: 'CPU load',
  key: 'system.cpu.load',
  valueType: 0,
  lastValue: '0.42',
  units: '',
  description: 'Load average',
  enabled: true,
  lastClock: new Date('2026-12-06T11:59:00.000Z'),
  state: 'normal',
  stateError: '',
};

/** Each field of a reported item, changed to another value of its type. */
const CHANGED: { [K in keyof RemoteItem]: RemoteItem[K] } = {
  externalId: '23002',
  externalHostId: '10502',
  name: 'CPU load (1m)',
  key: 'system.cpu.load[all,avg1]',
  valueType: 3,
  lastValue: null,
  units: '%',
  description: '',
  enabled: false,
  lastClock: null,
  state: 'not_supported',
  stateError: 'Unsupported item key.',
};

const FIELDS = Object.keys(CHANGED) as (keyof RemoteItem)[];

function rowOf(item: RemoteItem) {
  return itemRow(7, item, SYNCED_AT, itemSyncHash(item)) as Record<string, unknown>;
}

describe('the tables a pull upserts', () => {
  it('compares every written column but the key and the sync times', () => {
    expect(HOST_UPSERTS.compared).toEqual(
      HOST_UPSERTS.columns.filter((c) => !['monitorId', 'externalId', 'lastSyncAt', 'updatedAt'].includes(c)),
    );
    expect(HOST_UPSERTS.compared).toContain('name');
    expect(ITEM_UPSERTS.compared).toEqual(
      ITEM_UPSERTS.columns.filter((c) => !['hostId', 'externalId', 'lastSyncAt', 'updatedAt'].includes(c)),
    );
    expect(ITEM_UPSERTS.compared).toContain('syncHash');
  });

  // An unchanged hash leaves the item out of the write, so a compared column the hash missed would never be rewritten.
  it.each(FIELDS)('changes the item hash when a change to %s reaches a compared column', (field) => {
    const before = rowOf(ITEM);
    const after = rowOf({ ...ITEM, [field]: CHANGED[field] });
    const comparedChanged = (ITEM_UPSERTS.compared ?? [])
      .filter((column) => column !== 'syncHash')
      .some((column) => !Object.is(String(before[column]), String(after[column])));
    if (comparedChanged) expect(after.syncHash).not.toBe(before.syncHash);
    else expect(after.syncHash).toBe(before.syncHash);
  });

  it('has a reported field behind every compared column the reply fills', () => {
    const constant = new Set(['syncHash', 'status', 'statusDescription']);
    const reached = new Set<string>();
    const before = rowOf(ITEM);
    for (const field of FIELDS) {
      const after = rowOf({ ...ITEM, [field]: CHANGED[field] });
      for (const column of ITEM_UPSERTS.compared ?? []) {
        if (String(before[column]) !== String(after[column])) reached.add(column);
      }
    }
    expect((ITEM_UPSERTS.compared ?? []).filter((column) => !constant.has(column) && !reached.has(column))).toEqual([]);
  });

  it('keeps the hash of an item whose fields did not change', () => {
    expect(itemSyncHash({ ...ITEM, lastClock: new Date(ITEM.lastClock!.getTime()) })).toBe(itemSyncHash(ITEM));
  });
});
