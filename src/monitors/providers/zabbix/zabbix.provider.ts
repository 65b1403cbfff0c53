import { isIP } from 'node:net';
import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import type {
  HostDraft,
  ItemDraft,
  MonitorProvider,
  MonitorTarget,
  RemoteHost,
  RemoteItem,
  TokenListener,
} from '../monitor-provider';
import { MonitorApiError, MonitorAuthenticationError } from '../provider-errors';
import {
  AGENT_INTERFACE,
  expectArray,
  expectObject,
  expectString,
  firstCreatedId,
  GROUP_OUTPUT,
  HOST_OUTPUT,
  INTERFACE_OUTPUT,
  ITEM_OUTPUT,
  mainInterface,
  malformed,
  mapInChunks,
  parseInterfaces,
  technicalHostName,
  toRemoteHost,
  toRemoteItem,
  TRAPPER_ITEM,
} from './zabbix-mapping';
import { ZabbixRpcClient, ZabbixRpcError, zabbixEndpoint } from './zabbix-rpc-client';
import { ZabbixSessionCache } from './zabbix-session-cache';
import { ZabbixVersion } from './zabbix-version';

export interface ZabbixProviderOptions {
  /** Bound on every JSON-RPC call, connecting and reading the reply included. Default 10 s. */
  timeoutMs?: number;
  /** Hosts per `item.get` call. Default 100. */
  itemBatchSize?: number;
  /** Told whenever a monitor's session token changes (a login, or null when Zabbix ended it for good). */
  tokenListener?: TokenListener;
}

/** Nest token for ZabbixProviderOptions; without a provider for it, the defaults apply. */
export const ZABBIX_PROVIDER_OPTIONS = Symbol('ZABBIX_PROVIDER_OPTIONS');

export const ZABBIX_DEFAULT_TIMEOUT_MS = 10_000;
export const ZABBIX_DEFAULT_ITEM_BATCH_SIZE = 100;
/** Ids per call when asking for hosts or items by their own ids. */
const ID_BATCH_SIZE = 1_000;
const DEFAULT_PORT = '10050';
/** Where a host created without an address points its agent interface (Zabbix requires one to create it). */
const PLACEHOLDER_IP = '127.0.0.1';

/** What Zabbix says on a call whose token it no longer knows (6.0: data "Session terminated, re-login, please."). */
const SESSION_ENDED = /Session terminated|Not authori[sz]ed/i;
/** A server that predates `username` in user.login (older than 5.4) rejects it with this. */
const NO_USERNAME_PARAM = /unexpected parameter "username"/i;

/** One public call's view of the monitor. */
interface CallContext {
  target: MonitorTarget;
  endpoint: string;
  version: ZabbixVersion;
}

/**
 * MonitorProvider for Zabbix over its JSON-RPC API (`api_jsonrpc.php`), tested against 6.0 and following the
 * documented changes up to 7.x: the token moves from the body's `auth` to `Authorization: Bearer` at 6.4,
 * `user.login` takes `user` before 5.4, `host.get` selects `hostgroups` from 6.2.
 *
 * Sessions are cached per monitor in memory and handed to the token listener so the caller can keep them;
 * a call whose session Zabbix ended logs in again once and is retried once.
 */
@Injectable()
export class ZabbixProvider implements MonitorProvider {
  readonly type = 'zabbix' as const;

  private readonly logger = new Logger(ZabbixProvider.name);
  private readonly rpc = new ZabbixRpcClient();
  private readonly sessions = new ZabbixSessionCache();
  /** apiinfo.version per endpoint (a promise, so concurrent first calls share one request). */
  private readonly versions = new Map<string, Promise<ZabbixVersion>>();
  private readonly timeoutMs: number;
  private readonly itemBatchSize: number;
  private tokenListener?: TokenListener;

  constructor(@Optional() @Inject(ZABBIX_PROVIDER_OPTIONS) options: ZabbixProviderOptions = {}) {
    this.timeoutMs = positive(options.timeoutMs ?? ZABBIX_DEFAULT_TIMEOUT_MS, 'timeoutMs', false);
    this.itemBatchSize = positive(options.itemBatchSize ?? ZABBIX_DEFAULT_ITEM_BATCH_SIZE, 'itemBatchSize', true);
    this.tokenListener = options.tokenListener;
  }

  /** Replaces the listener told about new session tokens (the monitors module sets one to persist them). */
  setTokenListener(listener: TokenListener | undefined): void {
    this.tokenListener = listener;
  }

  check(target: MonitorTarget): Promise<{ version: string }> {
    return this.guard(target, async () => {
      // A check asks the server afresh: it may have been upgraded since the version was cached.
      this.versions.delete(zabbixEndpoint(target.url));
      const ctx = await this.context(target);
      await this.call(ctx, 'host.get', { output: ['hostid'], limit: 1 });
      return { version: ctx.version.text };
    });
  }

  listHosts(target: MonitorTarget, externalIds?: string[]): Promise<RemoteHost[]> {
    return this.guard(target, async () => {
      if (externalIds && externalIds.length === 0) return [];
      const ctx = await this.context(target);
      if (!externalIds) return this.getHosts(ctx, undefined);
      let hosts: RemoteHost[] = [];
      for (const batch of chunk(unique(externalIds), ID_BATCH_SIZE))
        hosts = hosts.concat(await this.getHosts(ctx, batch));
      return hosts;
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
    const ctx = await this.guard(target, () => this.context(target));
    for (const batch of chunk(ids, this.itemBatchSize)) {
      yield await this.guard(target, () => this.getItemsBy(ctx, { hostids: batch }));
    }
  }

  getItems(target: MonitorTarget, externalItemIds: string[]): Promise<RemoteItem[]> {
    return this.guard(target, async () => {
      const ids = unique(externalItemIds);
      if (ids.length === 0) return [];
      const ctx = await this.context(target);
      let items: RemoteItem[] = [];
      for (const batch of chunk(ids, ID_BATCH_SIZE))
        items = items.concat(await this.getItemsBy(ctx, { itemids: batch }));
      return items;
    });
  }

  createHost(target: MonitorTarget, draft: HostDraft): Promise<string> {
    return this.guard(target, async () => {
      const ctx = await this.context(target);
      const groupid = await this.ensureGroup(ctx, draft.groupName);
      const result = await this.call(ctx, 'host.create', {
        host: technicalHostName(draft.name),
        name: draft.name,
        description: draft.description,
        status: draft.enabled ? 0 : 1,
        interfaces: [
          {
            type: AGENT_INTERFACE,
            main: 1,
            port: DEFAULT_PORT,
            ...addressFields(draft.ipAddr ?? PLACEHOLDER_IP, true),
          },
        ],
        groups: [{ groupid }],
      });
      return firstCreatedId(result, 'hostids', 'host.create');
    });
  }

  /**
   * Sends only what differs from the host on the server. The technical name (`host`) is left alone: agents
   * and senders address the host by it, so renaming the host locally changes its visible name only. The
   * group is set when the host is not in it yet (the host moves there); the main interface's address follows
   * `ipAddr` unless that is null.
   */
  updateHost(target: MonitorTarget, externalId: string, draft: HostDraft): Promise<void> {
    return this.guard(target, async () => {
      const ctx = await this.context(target);
      const groups = ctx.version.hostGroupsSelector;
      const found = expectArray(
        await this.call(ctx, 'host.get', {
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
      if (current.description !== draft.description) changes.description = draft.description;
      if (current.enabled !== draft.enabled) changes.status = draft.enabled ? 0 : 1;
      if (!current.groups.some((group) => group.name === draft.groupName)) {
        changes.groups = [{ groupid: await this.ensureGroup(ctx, draft.groupName) }];
      }
      if (Object.keys(changes).length > 0) await this.call(ctx, 'host.update', { hostid: externalId, ...changes });

      if (draft.ipAddr === null || draft.ipAddr === current.ipAddr) return;
      const interfaces = parseInterfaces(expectObject(found[0], 'host.get', 'host 0').interfaces, 'host.get', 'host 0');
      const main = mainInterface(interfaces);
      if (main) {
        await this.call(ctx, 'hostinterface.update', {
          interfaceid: main.interfaceid,
          ...addressFields(draft.ipAddr, false),
        });
      } else {
        await this.call(ctx, 'hostinterface.create', {
          hostid: externalId,
          type: AGENT_INTERFACE,
          main: 1,
          port: DEFAULT_PORT,
          ...addressFields(draft.ipAddr, true),
        });
      }
    });
  }

  /** A Zabbix trapper item: it takes values sent to the server, so it needs neither an interface nor a delay. */
  createItem(target: MonitorTarget, externalHostId: string, draft: ItemDraft): Promise<string> {
    return this.guard(target, async () => {
      const ctx = await this.context(target);
      const result = await this.call(ctx, 'item.create', {
        hostid: externalHostId,
        type: TRAPPER_ITEM,
        ...itemFields(draft),
      });
      return firstCreatedId(result, 'itemids', 'item.create');
    });
  }

  /**
   * Sends only what differs from the item on the server (its type is kept), so an item inherited from a
   * template, whose name and key Zabbix refuses to change, can still be pushed when those are unchanged.
   */
  updateItem(target: MonitorTarget, externalId: string, draft: ItemDraft): Promise<void> {
    return this.guard(target, async () => {
      const ctx = await this.context(target);
      const found = expectArray(
        await this.call(ctx, 'item.get', {
          output: ['itemid', 'name', 'key_', 'value_type', 'units', 'description', 'status'],
          itemids: [externalId],
        }),
        'item.get',
      );
      if (found.length === 0) throw notOnMonitor('item.update', 'item', externalId);
      const current = expectObject(found[0], 'item.get', 'item 0');
      const changes: Record<string, unknown> = {};
      for (const [field, value] of Object.entries(itemFields(draft))) {
        if (current[field] !== String(value)) changes[field] = value;
      }
      if (Object.keys(changes).length > 0) await this.call(ctx, 'item.update', { itemid: externalId, ...changes });
    });
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
    const result = expectArray(await this.call(ctx, 'host.get', params), 'host.get');
    return mapInChunks(result, (entry, index) => toRemoteHost(entry, index, groups.field));
  }

  private async getItemsBy(ctx: CallContext, filter: { hostids: string[] } | { itemids: string[] }) {
    const result = expectArray(await this.call(ctx, 'item.get', { output: ITEM_OUTPUT, ...filter }), 'item.get');
    return mapInChunks(result, (entry, index) => toRemoteItem(entry, index));
  }

  /** The id of the host group with that name, created when the server has none. */
  private async ensureGroup(ctx: CallContext, name: string): Promise<string> {
    const existing = await this.findGroup(ctx, name);
    if (existing) return existing;
    try {
      return firstCreatedId(await this.call(ctx, 'hostgroup.create', { name }), 'groupids', 'hostgroup.create');
    } catch (error) {
      // Someone else created it between our get and our create.
      if (error instanceof ZabbixRpcError && /already exists/i.test(error.text)) {
        const created = await this.findGroup(ctx, name);
        if (created) return created;
      }
      throw error;
    }
  }

  private async findGroup(ctx: CallContext, name: string): Promise<string | null> {
    const groups = expectArray(
      await this.call(ctx, 'hostgroup.get', { output: GROUP_OUTPUT, filter: { name: [name] } }),
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

  // ------------------------------------------------------------------ sessions

  private async context(target: MonitorTarget): Promise<CallContext> {
    const endpoint = zabbixEndpoint(target.url);
    return { target, endpoint, version: await this.version(endpoint) };
  }

  private version(endpoint: string): Promise<ZabbixVersion> {
    const cached = this.versions.get(endpoint);
    if (cached) return cached;
    const pending = this.rpc
      .call({ endpoint, method: 'apiinfo.version', params: {}, timeoutMs: this.timeoutMs })
      .then((result) => {
        const version = ZabbixVersion.parse(result);
        if (!version) throw malformed('apiinfo.version', 'the result is not a version');
        return version;
      });
    this.versions.set(endpoint, pending);
    pending.catch(() => {
      if (this.versions.get(endpoint) === pending) this.versions.delete(endpoint);
    });
    return pending;
  }

  /** A call with the monitor's session: logs in first when there is none, and once more when Zabbix ended it. */
  private async call(ctx: CallContext, method: string, params: unknown): Promise<unknown> {
    const token = this.sessions.token(ctx.target, ctx.endpoint) ?? (await this.login(ctx, null));
    try {
      return await this.send(ctx, method, params, token);
    } catch (error) {
      if (!sessionEnded(error)) throw error;
      this.logger.warn(
        `Zabbix session of monitor ${ctx.target.monitorId} ended (${error.rpcData || error.rpcMessage}); logging in again`,
      );
    }
    const fresh = await this.login(ctx, token);
    try {
      return await this.send(ctx, method, params, fresh);
    } catch (error) {
      if (!sessionEnded(error)) throw error;
      await this.endSession(ctx.target, ctx.endpoint);
      throw new MonitorAuthenticationError(
        `Monitor ended the session again right after a new login: ${error.rpcData || error.rpcMessage}`,
      );
    }
  }

  private async send(ctx: CallContext, method: string, params: unknown, token: string): Promise<unknown> {
    // The version as known now: a re-login made by a concurrent call may have asked the server again.
    ctx.version = await this.version(ctx.endpoint);
    return this.rpc.call({
      endpoint: ctx.endpoint,
      method,
      params,
      token,
      tokenInHeader: ctx.version.tokenInHeader,
      timeoutMs: this.timeoutMs,
    });
  }

  /**
   * Logs in, sharing one login among concurrent calls for the monitor. With `endedToken` (the token Zabbix
   * just refused), a token some other call obtained meanwhile is used instead, and the version is asked
   * again first: a server upgraded past 6.4 refuses the token in the body.
   */
  private login(ctx: CallContext, endedToken: string | null): Promise<string> {
    const { target, endpoint } = ctx;
    return this.sessions.loginOnce(target.monitorId, async () => {
      if (endedToken !== null) {
        const current = this.sessions.token(target, endpoint);
        if (current !== null && current !== endedToken) return current;
        this.versions.delete(endpoint);
      }
      let token: string;
      try {
        ctx.version = await this.version(endpoint);
        token = await this.userLogin(endpoint, ctx.version, target);
      } catch (error) {
        if (endedToken !== null) await this.endSession(target, endpoint);
        throw error;
      }
      this.sessions.store(target, endpoint, token);
      this.logger.log(`Logged in to Zabbix ${ctx.version.text} for monitor ${target.monitorId}`);
      await this.notify(target, token);
      return token;
    });
  }

  private async userLogin(endpoint: string, version: ZabbixVersion, target: MonitorTarget): Promise<string> {
    const field = version.loginNameField;
    try {
      return await this.sendLogin(endpoint, field, target);
    } catch (error) {
      if (field === 'username' && error instanceof ZabbixRpcError && NO_USERNAME_PARAM.test(error.text)) {
        return this.sendLogin(endpoint, 'user', target).catch(rejectedCredentials);
      }
      return rejectedCredentials(error);
    }
  }

  private async sendLogin(endpoint: string, field: 'username' | 'user', target: MonitorTarget): Promise<string> {
    const result = await this.rpc.call({
      endpoint,
      method: 'user.login',
      params: { [field]: target.username, password: target.password },
      timeoutMs: this.timeoutMs,
    });
    if (typeof result !== 'string' || result.length === 0) {
      throw malformed('user.login', 'the result is not a session token');
    }
    return result;
  }

  /** Zabbix ended the session and no new one could be had: forget it and tell the caller to drop it too. */
  private async endSession(target: MonitorTarget, endpoint: string): Promise<void> {
    if (this.sessions.forget(target, endpoint)) await this.notify(target, null);
  }

  private async notify(target: MonitorTarget, token: string | null): Promise<void> {
    if (!this.tokenListener) return;
    try {
      await this.tokenListener(target.monitorId, token);
    } catch (error) {
      // The session still works in this process; the next one will log in again if it was not kept.
      const message = (error as { message?: unknown } | null)?.message;
      const reason = scrub(typeof message === 'string' ? message : String(error), this.secrets(target, token));
      this.logger.warn(`Could not keep the Zabbix session of monitor ${target.monitorId}: ${reason}`);
    }
  }

  // ------------------------------------------------------------------ secrets

  /** Runs one public call; whatever it throws is cleared of the monitor's password and tokens. */
  private async guard<T>(target: MonitorTarget, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (error !== null && typeof error === 'object') {
        const secrets = this.secrets(target);
        const fields = error as { message?: unknown; stack?: unknown };
        if (typeof fields.message === 'string') {
          const original = fields.message;
          fields.message = scrub(original, secrets);
          // The stack repeats the message on its first line; its frames are file paths, left as they are.
          if (typeof fields.stack === 'string' && original !== fields.message) {
            fields.stack = fields.stack.split(original).join(fields.message as string);
          }
        }
      }
      throw error;
    }
  }

  private secrets(target: MonitorTarget, ...more: (string | null)[]): string[] {
    return [...this.sessions.secretsOf(target), ...more.filter((s): s is string => Boolean(s))];
  }
}

function sessionEnded(error: unknown): error is ZabbixRpcError {
  return error instanceof ZabbixRpcError && SESSION_ENDED.test(error.text);
}

/** Any refusal of user.login (wrong password, blocked account, no frontend access) is a credentials problem. */
function rejectedCredentials(error: unknown): never {
  if (error instanceof ZabbixRpcError) {
    throw new MonitorAuthenticationError(`Monitor rejected the credentials: ${error.rpcData || error.rpcMessage}`);
  }
  throw error;
}

function notOnMonitor(method: string, kind: string, id: string): MonitorApiError {
  return new MonitorApiError(`Monitor API error in ${method}: no ${kind} with id ${id} on the monitor`);
}

/**
 * An address as an interface's fields: by IP when it is one, else by DNS name. A new interface needs both
 * `ip` and `dns` (Zabbix 6.0 answers "Incorrect arguments passed to function." without either); an update
 * sets only the one in use, keeping the other as it was.
 */
function addressFields(address: string, forNewInterface: boolean): Record<string, string | number> {
  const byIp = isIP(address) !== 0;
  if (forNewInterface) return byIp ? { useip: 1, ip: address, dns: '' } : { useip: 0, ip: '', dns: address };
  return byIp ? { useip: 1, ip: address } : { useip: 0, dns: address };
}

function itemFields(draft: ItemDraft) {
  return {
    name: draft.name,
    key_: draft.key,
    value_type: draft.valueType,
    units: draft.units,
    description: draft.description,
    status: draft.enabled ? 0 : 1,
  };
}

/** Replaces every secret (also as it reads inside a JSON string) with ***. */
export function scrub(text: string, secrets: string[]): string {
  let out = text;
  for (const secret of secrets) {
    for (const form of new Set([secret, JSON.stringify(secret).slice(1, -1)])) {
      if (form) out = out.split(form).join('***');
    }
  }
  return out;
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
