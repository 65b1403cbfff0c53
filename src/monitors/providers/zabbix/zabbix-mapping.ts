import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { RemoteGroup, RemoteHost, RemoteItem } from '../monitor-provider';
import { MonitorApiError } from '../provider-errors';

/** Zabbix's interface type for an agent; a host created by us gets one. */
export const AGENT_INTERFACE = 1;
/** Zabbix trapper: an item that receives values pushed to the server, so it needs no interface and no delay. */
export const TRAPPER_ITEM = 2;
/** Zabbix caps the technical host name at 128 characters. */
const HOST_NAME_MAX = 128;
/** How many records are mapped between two turns of the event loop. */
const MAP_CHUNK = 500;

export const HOST_OUTPUT = ['hostid', 'host', 'name', 'description', 'status'];
export const INTERFACE_OUTPUT = ['interfaceid', 'ip', 'dns', 'port', 'type', 'main', 'useip'];
export const GROUP_OUTPUT = ['groupid', 'name'];
export const ITEM_OUTPUT = [
  'itemid',
  'hostid',
  'name',
  'key_',
  'lastvalue',
  'units',
  'description',
  'value_type',
  'status',
  'lastclock',
  'state',
  'error',
];
/** Zabbix item state "1": the server cannot collect the item, and says why in `error`. */
const ITEM_NOT_SUPPORTED = '1';

export interface ZabbixInterface {
  interfaceid: string;
  ip: string;
  dns: string;
  port: string;
  type: string;
  main: string;
  useip: string;
}

/** A reply that is JSON-RPC but not what the method answers. */
export function malformed(method: string, detail: string): MonitorApiError {
  return new MonitorApiError(`Monitor sent a malformed reply to ${method}: ${detail}`);
}

type Record_ = Record<string, unknown>;

export function expectArray(value: unknown, method: string, what = 'the result'): unknown[] {
  if (!Array.isArray(value)) throw malformed(method, `${what} is not a list`);
  return value;
}

export function expectObject(value: unknown, method: string, what: string): Record_ {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw malformed(method, `${what} is not an object`);
  }
  return value as Record_;
}

export function expectString(record: Record_, field: string, method: string, what: string): string {
  const value = record[field];
  if (typeof value !== 'string') throw malformed(method, `${what} has no string "${field}"`);
  return value;
}

/**
 * A `count` selector's answer ("54"), or undefined when it is missing or not a count: it only sizes batches, so a
 * server that leaves it out costs nothing but the sizing.
 */
export function optionalCount(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value;
  return typeof value === 'string' && /^\d{1,15}$/.test(value) ? Number(value) : undefined;
}

/** Zabbix ids and numbers come as strings; an id must at least be a non-empty string of digits. */
export function expectId(record: Record_, field: string, method: string, what: string): string {
  const value = expectString(record, field, method, what);
  if (!/^\d+$/.test(value)) throw malformed(method, `${what} has a non-numeric "${field}"`);
  return value;
}

/** The first id in `{<field>: ["123"]}`, the answer of the *.create methods. */
export function firstCreatedId(result: unknown, field: string, method: string): string {
  const ids = expectObject(result, method, 'the result')[field];
  if (!Array.isArray(ids) || typeof ids[0] !== 'string' || !/^\d+$/.test(ids[0])) {
    throw malformed(method, `the result has no "${field}"`);
  }
  return ids[0];
}

/** Maps in chunks, yielding to the event loop between them, so a reply of 100k records does not stall the process. */
export async function mapInChunks<R>(list: unknown[], map: (entry: unknown, index: number) => R): Promise<R[]> {
  const out: R[] = new Array(list.length);
  for (let start = 0; start < list.length; start += MAP_CHUNK) {
    if (start > 0) await yieldToEventLoop();
    const end = Math.min(start + MAP_CHUNK, list.length);
    for (let i = start; i < end; i++) out[i] = map(list[i], i);
  }
  return out;
}

export function parseInterfaces(value: unknown, method: string, what: string): ZabbixInterface[] {
  if (value === undefined) return [];
  return expectArray(value, method, `${what}'s interfaces`).map((entry, i) => {
    const record = expectObject(entry, method, `${what}'s interface ${i}`);
    const field = (name: string) => (typeof record[name] === 'string' ? (record[name] as string) : '');
    return {
      interfaceid: field('interfaceid'),
      ip: field('ip'),
      dns: field('dns'),
      port: field('port'),
      type: field('type'),
      main: field('main'),
      useip: field('useip'),
    };
  });
}

/** The main interface, preferring the agent's among several main ones (one per type). */
export function mainInterface(interfaces: ZabbixInterface[]): ZabbixInterface | null {
  const main = interfaces.filter((i) => i.main === '1');
  return main.find((i) => i.type === String(AGENT_INTERFACE)) ?? main[0] ?? null;
}

/** The main interface's IP, or its DNS name when it connects by name; null without one. */
export function addressOf(interfaces: ZabbixInterface[]): string | null {
  const main = mainInterface(interfaces);
  if (!main) return null;
  const address = main.useip === '1' ? main.ip : main.dns;
  return address ? address : null;
}

export function toRemoteHost(entry: unknown, index: number, groupsField: string, method = 'host.get'): RemoteHost {
  const what = `host ${index}`;
  const record = expectObject(entry, method, what);
  const groups = record[groupsField] === undefined ? [] : expectArray(record[groupsField], method, `${what}'s groups`);
  return {
    externalId: expectId(record, 'hostid', method, what),
    host: expectString(record, 'host', method, what),
    name: typeof record.name === 'string' && record.name ? record.name : expectString(record, 'host', method, what),
    description: typeof record.description === 'string' ? record.description : '',
    enabled: expectString(record, 'status', method, what) === '0',
    ipAddr: addressOf(parseInterfaces(record.interfaces, method, what)),
    groups: groups.map((group, g): RemoteGroup => {
      const groupRecord = expectObject(group, method, `${what}'s group ${g}`);
      return {
        externalId: expectId(groupRecord, 'groupid', method, `${what}'s group ${g}`),
        name: expectString(groupRecord, 'name', method, `${what}'s group ${g}`),
      };
    }),
  };
}

export function toRemoteItem(entry: unknown, index: number, method = 'item.get'): RemoteItem {
  const what = `item ${index}`;
  const record = expectObject(entry, method, what);
  const valueType = Number(expectString(record, 'value_type', method, what));
  if (!Number.isInteger(valueType)) throw malformed(method, `${what} has a non-numeric "value_type"`);
  const clock = Number(typeof record.lastclock === 'string' ? record.lastclock : '0');
  if (!Number.isFinite(clock)) throw malformed(method, `${what} has a non-numeric "lastclock"`);
  const collected = clock > 0;
  return {
    externalId: expectId(record, 'itemid', method, what),
    externalHostId: expectId(record, 'hostid', method, what),
    name: resolvedName(record, method, what),
    key: expectString(record, 'key_', method, what),
    valueType,
    // Zabbix answers "0" or "" for an item that never received a value; lastclock "0" says which it is.
    lastValue: collected && typeof record.lastvalue === 'string' ? record.lastvalue : null,
    units: typeof record.units === 'string' ? record.units : '',
    description: typeof record.description === 'string' ? record.description : '',
    enabled: expectString(record, 'status', method, what) === '0',
    lastClock: collected ? new Date(clock * 1000) : null,
    ...itemState(record),
  };
}

/** The name as operators see it: Zabbix 7.0's `name_resolved` (user macros expanded) when given, else `name`. */
function resolvedName(record: Record_, method: string, what: string): string {
  const resolved = record.name_resolved;
  return typeof resolved === 'string' && resolved !== '' ? resolved : expectString(record, 'name', method, what);
}

/** A state other than "1" is normal; Zabbix keeps the last error after the item recovers, so it is dropped then. */
function itemState(record: Record_): Pick<RemoteItem, 'state' | 'stateError'> {
  if (record.state !== ITEM_NOT_SUPPORTED) return { state: 'normal', stateError: '' };
  return { state: 'not_supported', stateError: typeof record.error === 'string' ? record.error : '' };
}

/**
 * The technical host name (`host`) for a visible name: Zabbix allows only ASCII letters, digits, space, dot,
 * dash and underscore there, up to 128 characters. Anything else becomes an underscore.
 */
export function technicalHostName(name: string): string {
  const cleaned = name
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .replace(/[^0-9A-Za-z ._-]/g, '_')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, HOST_NAME_MAX)
    .trim();
  return cleaned || 'host';
}
