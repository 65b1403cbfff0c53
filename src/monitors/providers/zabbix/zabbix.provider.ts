import { Inject, Injectable, Optional } from '@nestjs/common';
import type {
  HostDraft,
  HostSize,
  ItemDraft,
  MonitorProvider,
  MonitorTarget,
  ProblemResolution,
  RemoteHost,
  RemoteItem,
  RemoteProblem,
  SessionTokenStore,
} from '../monitor-provider';
import { SESSION_TOKEN_STORE } from '../monitor-provider';
import {
  expectArray,
  expectId,
  expectObject,
  firstCreatedId,
  GROUP_OUTPUT,
  HOST_OUTPUT,
  INTERFACE_OUTPUT,
  mainInterface,
  mapInChunks,
  optionalCount,
  parseInterfaces,
  technicalHostName,
  toRemoteHost,
  TRAPPER_ITEM,
} from './zabbix-mapping';
import { type CallContext, ZabbixCaller } from './zabbix-caller';
import { ensureGroups } from './zabbix-host-groups';
import { itemsBy, itemsOfHosts } from './zabbix-item-reads';
import { callNamingHost } from './zabbix-host-names';
import { addressFields, agentInterface, asRejectedObject, itemFields, notOnMonitor } from './zabbix-writes';
import { acknowledgeProblem, listProblems, problemResolutions } from './zabbix-problems';

export interface ZabbixProviderOptions {
  /** Bound on every JSON-RPC call, connecting and reading the reply included. Default 10 s. */
  timeoutMs?: number;
  /** Hosts per `item.get` call. Default 100. */
  itemBatchSize?: number;
  /** The most of a reply read (ZABBIX_MAX_REPLY_BYTES, 64 MiB); tests set less. */
  maxReplyBytes?: number;
}

/** Nest token for ZabbixProviderOptions; without a provider for it, the defaults apply. */
export const ZABBIX_PROVIDER_OPTIONS = Symbol('ZABBIX_PROVIDER_OPTIONS');

export const ZABBIX_DEFAULT_TIMEOUT_MS = 10_000;
export const ZABBIX_DEFAULT_ITEM_BATCH_SIZE = 100;
/** Ids per call when asking for hosts or items by their own ids. */
const ID_BATCH_SIZE = 1_000;

/**
 * MonitorProvider for Zabbix over its JSON-RPC API (`api_jsonrpc.php`), tested against 6.0 and following the
 * documented changes up to 7.x: the token moves from the body's `auth` to `Authorization: Bearer` at 6.4,
 * `user.login` takes `user` before 5.4, `host.get` selects `hostgroups` from 6.2.
 *
 * Sessions are cached per monitor in memory and handed to the SessionTokenStore so they outlive the process;
 * a call whose session Zabbix ended logs in again once and is retried once. A monitor with an API token sends it
 * on every call instead and never logs in; a refused token is final (MonitorTokenRefusedError).
 */
@Injectable()
export class ZabbixProvider implements MonitorProvider {
  readonly type = 'zabbix' as const;
  readonly technicalName = technicalHostName;

  private readonly caller: ZabbixCaller;
  private readonly itemBatchSize: number;

  constructor(
    @Optional() @Inject(ZABBIX_PROVIDER_OPTIONS) options: ZabbixProviderOptions = {},
    @Optional() @Inject(SESSION_TOKEN_STORE) tokens?: SessionTokenStore,
  ) {
    const timeoutMs = positive(options.timeoutMs ?? ZABBIX_DEFAULT_TIMEOUT_MS, 'timeoutMs', false);
    this.itemBatchSize = positive(options.itemBatchSize ?? ZABBIX_DEFAULT_ITEM_BATCH_SIZE, 'itemBatchSize', true);
    this.caller = new ZabbixCaller(timeoutMs, tokens, options.maxReplyBytes);
  }

  async check(target: MonitorTarget): Promise<{ version: string }> {
    // A check asks the server afresh: it may have been upgraded since the version was cached.
    this.caller.forgetVersion(target);
    const ctx = await this.caller.context(target);
    await this.caller.call(ctx, 'host.get', { output: ['hostid'], limit: 1 });
    return { version: ctx.version.text };
  }

  async listHosts(target: MonitorTarget, externalIds?: string[]): Promise<RemoteHost[]> {
    if (externalIds && externalIds.length === 0) return [];
    const ctx = await this.caller.context(target);
    if (!externalIds) return this.getHosts(ctx, undefined);
    let hosts: RemoteHost[] = [];
    for (const batch of chunk(unique(externalIds), ID_BATCH_SIZE))
      hosts = hosts.concat(await this.getHosts(ctx, batch));
    return hosts;
  }

  /**
   * `host.get` with only `hostid` and the count of items in the output: Zabbix has no offset to page by, so a sync
   * pages by these ids, and sizes its `item.get` calls by the counts.
   */
  async listHostSizes(target: MonitorTarget): Promise<HostSize[]> {
    const ctx = await this.caller.context(target);
    const result = expectArray(
      await this.caller.call(ctx, 'host.get', { output: ['hostid'], selectItems: 'count', sortfield: 'hostid' }),
      'host.get',
    );
    return result.map((entry, index) => {
      const host = expectObject(entry, 'host.get', `host ${index}`);
      return { externalId: expectId(host, 'hostid', 'host.get', `host ${index}`), items: optionalCount(host.items) };
    });
  }

  async listItems(target: MonitorTarget, externalHostIds: string[]): Promise<RemoteItem[]> {
    // concat, not push(...batch): a batch of 100 hosts may hold more items than a call takes arguments.
    let items: RemoteItem[] = [];
    for await (const batch of this.listItemBatches(target, externalHostIds)) items = items.concat(batch);
    return items;
  }

  /**
   * The items of many hosts, one `item.get` per batch of `itemBatchSize` hosts, yielded batch by batch so a
   * caller can store each batch before the next one is fetched (bounded memory on big monitors).
   */
  async *listItemBatches(target: MonitorTarget, externalHostIds: string[]): AsyncGenerator<RemoteItem[]> {
    const ids = unique(externalHostIds);
    if (ids.length === 0) return;
    const ctx = await this.caller.context(target);
    for (const batch of chunk(ids, this.itemBatchSize)) {
      yield await itemsOfHosts(this.caller, ctx, batch);
    }
  }

  async getItems(target: MonitorTarget, externalItemIds: string[]): Promise<RemoteItem[]> {
    const ids = unique(externalItemIds);
    if (ids.length === 0) return [];
    const ctx = await this.caller.context(target);
    let items: RemoteItem[] = [];
    for (const batch of chunk(ids, ID_BATCH_SIZE))
      items = items.concat(await itemsBy(this.caller, ctx, { itemids: batch }));
    return items;
  }

  async createHost(target: MonitorTarget, draft: HostDraft): Promise<string> {
    const ctx = await this.caller.context(target);
    const groups = await this.groups(ctx, draft.groupNames);
    const result = await this.writeHost(ctx, 'host.create', {
      host: draft.technicalName ?? technicalHostName(draft.name),
      name: draft.name,
      description: draft.description,
      status: draft.enabled ? 0 : 1,
      // Without an address, no interface: Zabbix 6.0 and 7.0 take a host with none (trapper items need none).
      interfaces: draft.ipAddr === null ? [] : [agentInterface(draft.ipAddr)],
      groups,
    });
    return firstCreatedId(result, 'hostids', 'host.create');
  }

  /**
   * Sends only what differs from the host on the server. The technical name (`host`) is sent only when the draft
   * names one that differs: agents and senders address the host by it, so renaming the host locally changes its
   * visible name only. The groups are set when they are not the draft's (the host leaves the others); the main
   * interface's address follows `ipAddr` unless that is null.
   */
  async updateHost(target: MonitorTarget, externalId: string, draft: HostDraft): Promise<void> {
    const ctx = await this.caller.context(target);
    const groups = ctx.version.hostGroupsSelector;
    const found = expectArray(
      await this.caller.call(ctx, 'host.get', {
        output: HOST_OUTPUT,
        hostids: [externalId],
        selectInterfaces: INTERFACE_OUTPUT,
        [groups.param]: GROUP_OUTPUT,
      }),
      'host.get',
    );
    if (found.length === 0) throw notOnMonitor('host.update', 'host', externalId);
    const current = toRemoteHost(found[0], 0, groups.field);

    const changes: Record<string, unknown> = {};
    if (current.name !== draft.name) changes.name = draft.name;
    if (draft.technicalName !== null && current.host !== draft.technicalName) changes.host = draft.technicalName;
    if (current.description !== draft.description) changes.description = draft.description;
    if (current.enabled !== draft.enabled) changes.status = draft.enabled ? 0 : 1;
    if (
      !sameNames(
        current.groups.map((group) => group.name),
        draft.groupNames,
      )
    ) {
      changes.groups = await this.groups(ctx, draft.groupNames);
    }
    if (Object.keys(changes).length > 0) await this.writeHost(ctx, 'host.update', { hostid: externalId, ...changes });

    if (draft.ipAddr === null || draft.ipAddr === current.ipAddr) return;
    const interfaces = parseInterfaces(expectObject(found[0], 'host.get', 'host 0').interfaces, 'host.get', 'host 0');
    const main = mainInterface(interfaces);
    if (main) {
      await this.write(ctx, 'hostinterface.update', {
        interfaceid: main.interfaceid,
        ...addressFields(draft.ipAddr, false),
      });
    } else {
      await this.write(ctx, 'hostinterface.create', { hostid: externalId, ...agentInterface(draft.ipAddr) });
    }
  }

  /** A Zabbix trapper item: it takes values sent to the server, so it needs neither an interface nor a delay. */
  async createItem(target: MonitorTarget, externalHostId: string, draft: ItemDraft): Promise<string> {
    const ctx = await this.caller.context(target);
    const result = await this.write(ctx, 'item.create', {
      hostid: externalHostId,
      type: TRAPPER_ITEM,
      ...itemFields(draft),
    });
    return firstCreatedId(result, 'itemids', 'item.create');
  }

  /**
   * Sends only what differs from the item on the server (its type is kept), so an item inherited from a
   * template, whose name and key Zabbix refuses to change, can still be pushed when those are unchanged.
   */
  async updateItem(target: MonitorTarget, externalId: string, draft: ItemDraft): Promise<void> {
    const ctx = await this.caller.context(target);
    const found = expectArray(
      await this.caller.call(ctx, 'item.get', {
        output: ['itemid', 'name', 'key_', 'value_type', 'units', 'description', 'status', 'name_resolved'],
        itemids: [externalId],
      }),
      'item.get',
    );
    if (found.length === 0) throw notOnMonitor('item.update', 'item', externalId);
    const current = expectObject(found[0], 'item.get', 'item 0');
    const changes: Record<string, unknown> = {};
    for (const [field, value] of Object.entries(itemFields(draft))) {
      // A pulled name is the resolved one (7.0): unchanged, it must not overwrite the name with its macros.
      if (field === 'name' && current.name_resolved === value) continue;
      if (current[field] !== String(value)) changes[field] = value;
    }
    if (Object.keys(changes).length > 0) await this.write(ctx, 'item.update', { itemid: externalId, ...changes });
  }

  async deleteHost(target: MonitorTarget, externalId: string): Promise<boolean> {
    return this.deleteObject(target, 'host', externalId);
  }

  async deleteItem(target: MonitorTarget, externalId: string): Promise<boolean> {
    return this.deleteObject(target, 'item', externalId);
  }

  /** host.delete or item.delete of one object that is still there; false when the server no longer has it. */
  private async deleteObject(target: MonitorTarget, kind: 'host' | 'item', externalId: string): Promise<boolean> {
    const ctx = await this.caller.context(target);
    const method = `${kind}.get`;
    const params = { output: [`${kind}id`], [`${kind}ids`]: [externalId] };
    if (expectArray(await this.caller.call(ctx, method, params), method).length === 0) return false;
    await this.write(ctx, `${kind}.delete`, [externalId]);
    return true;
  }

  /** host.create or host.update: a technical name another host has is a HostNameTakenError, as callNamingHost says. */
  private async writeHost(ctx: CallContext, method: 'host.create' | 'host.update', params: Record<string, unknown>) {
    try {
      return await callNamingHost(this.caller, ctx, method, params);
    } catch (error) {
      throw asRejectedObject(error);
    }
  }

  /** The host groups a push names, created where missing; a user who may not create them fails the host only. */
  private async groups(ctx: CallContext, names: string[]): Promise<{ groupid: string }[]> {
    try {
      return await ensureGroups(this.caller, ctx, names);
    } catch (error) {
      throw asRejectedObject(error);
    }
  }

  /** A call that writes an object: Zabbix refusing the object itself is that object's failure. */
  private async write(ctx: CallContext, method: string, params: unknown): Promise<unknown> {
    try {
      return await this.caller.call(ctx, method, params);
    } catch (error) {
      throw asRejectedObject(error);
    }
  }

  async listProblems(target: MonitorTarget): Promise<RemoteProblem[]> {
    return listProblems(this.caller, await this.caller.context(target));
  }

  async problemResolutions(target: MonitorTarget, eventIds: string[]): Promise<ProblemResolution[]> {
    if (eventIds.length === 0) return [];
    return problemResolutions(this.caller, await this.caller.context(target), unique(eventIds));
  }

  async acknowledgeProblem(target: MonitorTarget, eventId: string, message: string): Promise<void> {
    await acknowledgeProblem(this.caller, await this.caller.context(target), eventId, message);
  }

  // ------------------------------------------------------------------ reads

  private async getHosts(ctx: CallContext, hostids: string[] | undefined): Promise<RemoteHost[]> {
    const groups = ctx.version.hostGroupsSelector;
    const params: Record<string, unknown> = {
      output: HOST_OUTPUT,
      selectInterfaces: INTERFACE_OUTPUT,
      [groups.param]: GROUP_OUTPUT,
    };
    if (hostids) params.hostids = hostids;
    const result = expectArray(await this.caller.call(ctx, 'host.get', params), 'host.get');
    return mapInChunks(result, (entry, index) => toRemoteHost(entry, index, groups.field));
  }
}

/** The same group names, whatever their order. */
function sameNames(a: string[], b: string[]): boolean {
  const left = new Set(a);
  const right = new Set(b);
  return left.size === right.size && [...left].every((name) => right.has(name));
}

function unique(ids: string[]): string[] {
  return [...new Set(ids.map(String))];
}

function chunk<T>(list: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}

function positive(value: number, name: string, integer: boolean): number {
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new Error(`ZabbixProvider option ${name} must be a positive ${integer ? 'integer' : 'number'}, got ${value}`);
  }
  return value;
}
