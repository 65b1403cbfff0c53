import { hash } from 'node:crypto';
import { defineTable, type Row } from '../../database/bulk-write';
import { Host } from '../entities/host.entity';
import { Item } from '../entities/item.entity';
import { SyncStatus } from '../entities/sync-status';
import type { RemoteHost, RemoteItem } from '../providers/monitor-provider';

/** When a pull last wrote a row: they follow a changed row and are never compared. */
const SYNC_TIMES: readonly string[] = ['lastSyncAt', 'updatedAt'];

/** Every column a pull writes but the row's key and its sync times: a row is rewritten when one of them changed. */
function comparedOf<C extends string>(columns: readonly C[], key: readonly C[]): C[] {
  return columns.filter((column) => !key.includes(column) && !SYNC_TIMES.includes(column));
}

const HOST_COLUMNS = [
  'monitorId',
  'externalId',
  'name',
  'technicalName',
  'description',
  'ipAddr',
  'enabled',
  'groupId',
  'status',
  'statusDescription',
  'lastSyncAt',
  'updatedAt',
] as const;
const HOST_KEY = ['monitorId', 'externalId'] as const;

/**
 * What a pull writes of a host, keyed by (monitor, external id). An existing host is rewritten only when a compared
 * field changed: last_sync_at and updated_at then say when the pull last changed it.
 */
export const HOST_UPSERTS = defineTable({
  entity: Host,
  columns: HOST_COLUMNS,
  conflict: HOST_KEY,
  compared: comparedOf(HOST_COLUMNS, HOST_KEY),
});

// syncHash is compared too: an item stored before it had one, or since changed by someone else, gets the new one.
const ITEM_COLUMNS = [
  'hostId',
  'externalId',
  'externalHostId',
  'name',
  'key',
  'valueType',
  'lastValue',
  'lastClock',
  'units',
  'description',
  'enabled',
  'state',
  'stateError',
  'status',
  'statusDescription',
  'lastSyncAt',
  'updatedAt',
  'syncHash',
] as const;
const ITEM_KEY = ['hostId', 'externalId'] as const;

/** What a pull writes of an item, keyed by (host, external id), rewritten only when a compared field changed. */
export const ITEM_UPSERTS = defineTable({
  entity: Item,
  columns: ITEM_COLUMNS,
  conflict: ITEM_KEY,
  compared: comparedOf(ITEM_COLUMNS, ITEM_KEY),
});

export function hostRow(
  monitorId: number,
  host: RemoteHost,
  groupIds: Map<string, number>,
  syncedAt: Date,
): Row<typeof HOST_UPSERTS> {
  return {
    monitorId,
    externalId: host.externalId,
    name: host.name,
    technicalName: host.host,
    description: host.description,
    ipAddr: host.ipAddr,
    enabled: host.enabled,
    groupId: host.groups.length > 0 ? (groupIds.get(host.groups[0].externalId) ?? null) : null,
    status: SyncStatus.Active,
    statusDescription: '',
    lastSyncAt: syncedAt,
    // Explicit: TypeORM leaves updated_at out of a SQLite upsert but sets it on PostgreSQL.
    updatedAt: syncedAt,
  };
}

/** A pull's row for an item, with its hash (itemSyncHash), computed before to tell whether the row is needed at all. */
export function itemRow(hostId: number, item: RemoteItem, syncedAt: Date, syncHash: string): Row<typeof ITEM_UPSERTS> {
  return {
    hostId,
    externalId: item.externalId,
    externalHostId: item.externalHostId,
    name: item.name,
    key: item.key,
    valueType: item.valueType,
    lastValue: item.lastValue,
    lastClock: item.lastClock,
    units: item.units,
    description: item.description,
    enabled: item.enabled,
    state: item.state,
    stateError: stateErrorKept(item),
    status: SyncStatus.Active,
    statusDescription: '',
    lastSyncAt: syncedAt,
    // Explicit: TypeORM leaves updated_at out of a SQLite upsert but sets it on PostgreSQL. A pull's row is the only
    // one whose updated_at equals its last_sync_at: any other write sets updated_at to its own time.
    updatedAt: syncedAt,
    syncHash,
  };
}

/**
 * What a pull writes of an item, hashed: the compared fields of its row (itemRow) in a fixed order, taken from the
 * reply so an unchanged item needs no row. Every compared field must be in it: one left out (the description was,
 * up to 2026-12-06) is never rewritten when only it changes. md5 is enough: it guards against an accidental match,
 * not an adversary (the monitor sends the fields themselves anyway).
 */
export function itemSyncHash(item: RemoteItem): string {
  const fields = [
    item.externalHostId,
    item.name,
    item.key,
    item.valueType,
    item.lastValue,
    item.lastClock?.getTime() ?? null,
    item.units,
    item.description,
    item.enabled,
    item.state,
    stateErrorKept(item),
    SyncStatus.Active,
    '',
  ];
  return hash('md5', JSON.stringify(fields), 'base64');
}

/** Zabbix allows longer messages than we keep; the start says what went wrong. */
function stateErrorKept(item: RemoteItem): string {
  return item.stateError.length > 2048 ? item.stateError.slice(0, 2048) : item.stateError;
}
