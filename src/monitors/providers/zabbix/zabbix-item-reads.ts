import type { RemoteItem } from '../monitor-provider';
import { MonitorReplyTooLargeError } from '../provider-errors';
import type { CallContext, ZabbixCaller } from './zabbix-caller';
import { expectArray, ITEM_OUTPUT, mapInChunks, toRemoteItem } from './zabbix-mapping';

/** `item.get` by host or by item ids, mapped; `name_resolved` asked for where the server has it. */
export async function itemsBy(
  caller: ZabbixCaller,
  ctx: CallContext,
  filter: { hostids: string[] } | { itemids: string[] },
): Promise<RemoteItem[]> {
  const output = ctx.version.itemNameResolved ? [...ITEM_OUTPUT, 'name_resolved'] : ITEM_OUTPUT;
  const result = expectArray(await caller.call(ctx, 'item.get', { output, ...filter }), 'item.get');
  return mapInChunks(result, (entry, index) => toRemoteItem(entry, index));
}

/** The items of these hosts; a reply too large to read is asked for again in halves, down to one host. */
export async function itemsOfHosts(caller: ZabbixCaller, ctx: CallContext, hostIds: string[]): Promise<RemoteItem[]> {
  try {
    return await itemsBy(caller, ctx, { hostids: hostIds });
  } catch (error) {
    if (!(error instanceof MonitorReplyTooLargeError) || hostIds.length === 1) throw error;
    const half = Math.ceil(hostIds.length / 2);
    const first = await itemsOfHosts(caller, ctx, hostIds.slice(0, half));
    return first.concat(await itemsOfHosts(caller, ctx, hostIds.slice(half)));
  }
}
