import { isIP } from 'node:net';
import type { ItemDraft } from '../monitor-provider';
import { MonitorRejectedObjectError } from '../provider-errors';
import { AGENT_INTERFACE } from './zabbix-mapping';
import { ZabbixRpcError } from './zabbix-rpc-client';

const DEFAULT_PORT = '10050';
/**
 * What Zabbix answers when it refuses the object a write sends (code -32602 "Invalid params.", with the reason in
 * data: a duplicate name, a field it rejects, "No permissions to referred object or it does not exist!").
 * A refused session or API token never gets here: the caller turns those into MonitorAuthenticationError first.
 */
const OBJECT_REFUSED = /Invalid params|No permissions|already exists/i;
const ALREADY_EXISTS = /already exists/i;

/** A Zabbix refusal of the object written, as that object's failure; any other error as it is. */
export function asRejectedObject(error: unknown): unknown {
  if (!(error instanceof ZabbixRpcError) || !OBJECT_REFUSED.test(error.text)) return error;
  return new MonitorRejectedObjectError(error.message, ALREADY_EXISTS.test(error.text));
}

/** The host or item to write is not on the monitor (deleted there since it was synced). */
export function notOnMonitor(method: string, kind: string, id: string): MonitorRejectedObjectError {
  return new MonitorRejectedObjectError(
    `Monitor API error in ${method}: no ${kind} with id ${id} on the monitor`,
    false,
  );
}

/**
 * An address as an interface's fields: by IP when it is one, else by DNS name. A new interface needs both
 * `ip` and `dns` (Zabbix 6.0 answers "Incorrect arguments passed to function." without either); an update
 * sets only the one in use, keeping the other as it was.
 */
export function addressFields(address: string, forNewInterface: boolean): Record<string, string | number> {
  const byIp = isIP(address) !== 0;
  if (forNewInterface) return byIp ? { useip: 1, ip: address, dns: '' } : { useip: 0, ip: '', dns: address };
  return byIp ? { useip: 1, ip: address } : { useip: 0, dns: address };
}

/** The main agent interface at that address. */
export function agentInterface(address: string) {
  return { type: AGENT_INTERFACE, main: 1, port: DEFAULT_PORT, ...addressFields(address, true) };
}

/** The item fields the service owns, as Zabbix names them. */
export function itemFields(draft: ItemDraft) {
  return {
    name: draft.name,
    key_: draft.key,
    value_type: draft.valueType,
    units: draft.units,
    description: draft.description,
    status: draft.enabled ? 0 : 1,
  };
}
