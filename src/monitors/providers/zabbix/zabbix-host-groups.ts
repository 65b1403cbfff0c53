import type { CallContext, ZabbixCaller } from './zabbix-caller';
import { expectArray, expectObject, expectString, firstCreatedId, GROUP_OUTPUT } from './zabbix-mapping';
import { ZabbixRpcError } from './zabbix-rpc-client';

/** The host groups with these names, as host.create and host.update take them; a group the server lacks is created. */
export async function ensureGroups(
  caller: ZabbixCaller,
  ctx: CallContext,
  names: string[],
): Promise<{ groupid: string }[]> {
  const groups: { groupid: string }[] = [];
  for (const name of new Set(names)) groups.push({ groupid: await ensureGroup(caller, ctx, name) });
  return groups;
}

/** The id of the host group with that name, created when the server has none. */
async function ensureGroup(caller: ZabbixCaller, ctx: CallContext, name: string): Promise<string> {
  const existing = await findGroup(caller, ctx, name);
  if (existing) return existing;
  try {
    return firstCreatedId(await caller.call(ctx, 'hostgroup.create', { name }), 'groupids', 'hostgroup.create');
  } catch (error) {
    // Someone else created it between our get and our create.
    if (error instanceof ZabbixRpcError && /already exists/i.test(error.text)) {
      const created = await findGroup(caller, ctx, name);
      if (created) return created;
    }
    throw error;
  }
}

async function findGroup(caller: ZabbixCaller, ctx: CallContext, name: string): Promise<string | null> {
  const groups = expectArray(
    await caller.call(ctx, 'hostgroup.get', { output: GROUP_OUTPUT, filter: { name: [name] } }),
    'hostgroup.get',
  );
  for (const [index, entry] of groups.entries()) {
    const group = expectObject(entry, 'hostgroup.get', `group ${index}`);
    if (expectString(group, 'name', 'hostgroup.get', `group ${index}`) === name) {
      return expectString(group, 'groupid', 'hostgroup.get', `group ${index}`);
    }
  }
  return null;
}
