import { DataSource } from 'typeorm';
import { bulkUpsert, type Row } from '../src/database/bulk-write';
import { Transactions } from '../src/database/transactions';
import { Item } from '../src/monitors/entities/item.entity';
import { SyncStatus } from '../src/monitors/entities/sync-status';
import { ITEM_UPSERTS } from '../src/monitors/sync/inventory-tables';
import { apiAs, createHost, unique } from './support/inventory-factory';
import { startTestApp, type TestApp } from './support/test-app';

/**
 * The shared upsert stores every value as TypeORM would, however it sends the rows: a VALUES list for a few rows, one
 * array per column (`unnest`) on PostgreSQL from 16 rows on. Runs on SQLite, and on PostgreSQL with DATABASE_URL.
 */
describe('bulk upserts (e2e)', () => {
  let t: TestApp;
  let hostId: number;

  beforeAll(async () => {
    t = await startTestApp();
    hostId = (await createHost(apiAs(t, await t.login()))).id;
  });
  afterAll(() => t.close());

  /** Rows whose values are awkward in an array literal: quotes, backslashes, commas, braces, NULLs, unicode. */
  function rows(count: number, tag: string): Row<typeof ITEM_UPSERTS>[] {
    const at = new Date('2026-03-04T05:06:07.890Z');
    return Array.from({ length: count }, (_, i) => ({
      hostId,
      externalId: `${tag}-${i}`,
      externalHostId: i % 3 === 0 ? null : `h"${i}`,
      name: `it's "item" {${i}}, a\\b ü ☃`,
      key: `key[${i},"x"]`,
      valueType: i % 5,
      lastValue: i % 4 === 0 ? null : `NULL`,
      lastClock: i % 2 === 0 ? null : new Date(at.getTime() + i * 1000),
      units: i % 2 === 0 ? '' : ' ',
      description: i % 2 === 0 ? '' : `line 1\nline "2" \\ ☃`,
      enabled: i % 2 === 0,
      state: i % 7 === 0 ? 'not_supported' : 'normal',
      stateError: '',
      status: SyncStatus.Active,
      statusDescription: '',
      lastSyncAt: at,
      updatedAt: at,
      syncHash: i % 2 === 0 ? null : `hash-${i}`,
    }));
  }

  const upsert = (batch: Row<typeof ITEM_UPSERTS>[]) =>
    t.app.get(Transactions).run((manager) => bulkUpsert(manager, ITEM_UPSERTS, batch));

  async function stored(tag: string): Promise<Item[]> {
    const found = await t.app
      .get(DataSource)
      .getRepository(Item)
      .createQueryBuilder('item')
      .where('item.externalId LIKE :tag', { tag: `${tag}-%` })
      .getMany();
    return found.sort((a, b) => Number(a.externalId?.split('-')[1]) - Number(b.externalId?.split('-')[1]));
  }

  it.each([
    ['a few rows (VALUES)', 3],
    ['many rows (unnest on PostgreSQL)', 40],
  ])('stores %s exactly, and rewrites only the rows that changed', async (_, count) => {
    const tag = unique();
    const sent = rows(count, tag);
    expect(await upsert(sent)).toBe(count);
    const read = await stored(tag);
    expect(read.map((item) => ({ ...pick(item) }))).toEqual(sent.map((row) => pick(row)));

    const changed = sent.map((row, i) => (i === 1 ? { ...row, name: 'renamed' } : row));
    expect(await upsert(changed)).toBe(1);
    expect((await stored(tag))[1].name).toBe('renamed');
  });
});

/** The columns compared, as read back from the database. */
function pick(item: Partial<Item>) {
  return {
    externalId: item.externalId,
    externalHostId: item.externalHostId,
    name: item.name,
    key: item.key,
    valueType: item.valueType,
    lastValue: item.lastValue,
    lastClock: item.lastClock?.toISOString() ?? null,
    units: item.units,
    enabled: item.enabled,
    state: item.state,
    status: item.status,
    lastSyncAt: item.lastSyncAt?.toISOString(),
  };
}
