import { HostNameTakenError } from '../provider-errors';
import type { CallContext, ZabbixCaller } from './zabbix-caller';
import { expectArray, expectObject, expectString } from './zabbix-mapping';
import { ZabbixRpcError } from './zabbix-rpc-client';

/**
 * What Zabbix 6.0 and 7.0 answer a host.create or host.update whose technical name another host has:
 * `Host with the same name "a_b" already exists.` (a clash of visible names says "same visible name").
 */
const TECHNICAL_NAME_TAKEN = /Host with the same name "(.*)" already exists/;

/**
 * host.create or host.update; when Zabbix refuses it because another host has the technical name sent, a
 * HostNameTakenError naming that host (an error about this host, not the monitor).
 */
export async function callNamingHost(
  caller: ZabbixCaller,
  ctx: CallContext,
  method: 'host.create' | 'host.update',
  params: Record<string, unknown>,
): Promise<unknown> {
  try {
    return await caller.call(ctx, method, params);
  } catch (error) {
    const technicalName = typeof params.host === 'string' ? params.host : null;
    if (!(error instanceof ZabbixRpcError) || technicalName === null) throw error;
    if (TECHNICAL_NAME_TAKEN.exec(error.rpcData)?.[1] !== technicalName) throw error;
    const holder = await hostNamed(caller, ctx, technicalName);
    const held = holder ? ` by host "${holder.name}" (hostid ${holder.externalId})` : '';
    throw new HostNameTakenError(
      `Monitor API error in ${method}: the technical name "${technicalName}" is already taken on the monitor${held}`,
      technicalName,
      holder,
    );
  }
}

/** The monitor's host with this technical name, if it can still be found. */
async function hostNamed(
  caller: ZabbixCaller,
  ctx: CallContext,
  technicalName: string,
): Promise<{ externalId: string; name: string } | null> {
  const found = expectArray(
    await caller.call(ctx, 'host.get', { output: ['hostid', 'host', 'name'], filter: { host: [technicalName] } }),
    'host.get',
  );
  if (found.length === 0) return null;
  const record = expectObject(found[0], 'host.get', 'host 0');
  return {
    externalId: expectString(record, 'hostid', 'host.get', 'host 0'),
    name: expectString(record, 'name', 'host.get', 'host 0'),
  };
}
