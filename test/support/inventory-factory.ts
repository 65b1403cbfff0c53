import { expect } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { HostGroup } from '../../src/monitors/entities/host-group.entity';
import { Host } from '../../src/monitors/entities/host.entity';
import { Item } from '../../src/monitors/entities/item.entity';
import { Monitor } from '../../src/monitors/entities/monitor.entity';
import { SyncStatus } from '../../src/monitors/entities/sync-status';
import { freePort } from './redis-server';
import type { TestApp } from './test-app';

export const API = '/api/v1';

type Query = Record<string, string | number | boolean>;

/** An authenticated client for `/api/v1`; `inspect` sees every response (to assert what no response may carry). */
export interface Api {
  get(path: string, query?: Query): Promise<request.Response>;
  post(path: string, body?: object): Promise<request.Response>;
  patch(path: string, body: object): Promise<request.Response>;
  delete(path: string): Promise<request.Response>;
}

export function apiAs(t: TestApp, token: string, inspect?: (res: request.Response) => void): Api {
  const auth = (test: request.Test) => test.set('Authorization', `Bearer ${token}`);
  const seen = async (pending: request.Test) => {
    const res = await pending;
    inspect?.(res);
    return res;
  };
  return {
    get: (path, query = {}) => seen(auth(request(t.http).get(`${API}${path}`)).query(query)),
    post: (path, body) => seen(auth(request(t.http).post(`${API}${path}`)).send(body)),
    patch: (path, body) => seen(auth(request(t.http).patch(`${API}${path}`)).send(body)),
    delete: (path) => seen(auth(request(t.http).delete(`${API}${path}`))),
  };
}

/** A unique suffix, so factories never collide on unique names. */
export const unique = () => randomBytes(4).toString('hex');

/** A new user with the given privilege, logged in: returns the bearer token. */
export async function tokenWithPrivilege(t: TestApp, admin: Api, privileges: 1 | 2 | 3): Promise<string> {
  const username = `user-${privileges}-${unique()}`;
  const password = `password-${unique()}`;
  const res = await admin.post('/users', { username, password, privileges });
  if (res.status !== 201) throw new Error(`creating ${username} failed: ${res.status} ${res.text}`);
  return t.login(username, password);
}

/** An http URL on loopback where nothing listens: a monitor there is unreachable. */
export async function unreachableUrl(): Promise<string> {
  return `http://127.0.0.1:${await freePort()}/zabbix`;
}

/** Every monitor password the factories make contains this mark, so a leak of any of them can be searched for. */
export const MONITOR_PASSWORD_MARK = 'zbx-secret-';

/** Fails when the raw JSON of a response carries a monitor password or any password, auth-token or API-token field. */
export function expectNoMonitorSecrets(res: request.Response, ...passwords: string[]): void {
  expect(res.text).not.toContain(MONITOR_PASSWORD_MARK);
  for (const password of passwords) expect(res.text).not.toContain(password);
  expect(res.text).not.toMatch(/"[^"]*(password|auth_?token|api_?token)[^"]*"\s*:/i);
}

export interface MonitorBody {
  name: string;
  url: string;
  type: string;
  username: string;
  password: string;
  description?: string;
  enabled?: boolean;
}

export function monitorBody(overrides: Partial<MonitorBody> = {}): MonitorBody {
  return {
    name: `monitor-${unique()}`,
    url: 'http://zabbix.example.test/zabbix',
    type: 'zabbix',
    username: 'Admin',
    password: `${MONITOR_PASSWORD_MARK}${unique()}`,
    ...overrides,
  };
}

/** The JSON the API answers for a monitor, a host and an item. */
export interface MonitorJson {
  id: number;
  name: string;
  url: string;
  type: string;
  username: string;
  description: string;
  enabled: boolean;
  status: SyncStatus;
  status_description: string;
  last_sync_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface HostJson {
  id: number;
  name: string;
  technical_name: string | null;
  monitor_id: number | null;
  external_id: string | null;
  group_id: number | null;
  group_ids: number[];
  ip_addr: string | null;
  description: string;
  enabled: boolean;
  status: SyncStatus;
  status_description: string;
  last_sync_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface ItemJson {
  id: number;
  host_id: number;
  name: string;
  key: string;
  external_id: string | null;
  value_type: number;
  last_value: string | null;
  units: string;
  description: string;
  enabled: boolean;
  status: SyncStatus;
  status_description: string;
  last_sync_at: string | null;
  created_at: string;
  updated_at: string;
}

function created<T>(res: request.Response, what: string): T {
  if (res.status !== 201) throw new Error(`creating ${what} failed: ${res.status} ${res.text}`);
  return res.body as T;
}

/** Creates a monitor through the API and returns its response body. */
export async function createMonitor(api: Api, overrides: Partial<MonitorBody> = {}): Promise<MonitorJson> {
  return created(await api.post('/monitors', monitorBody(overrides)), 'a monitor');
}

export interface HostBody {
  name: string;
  technical_name?: string;
  monitor_id?: number;
  group_id?: number;
  group_ids?: number[];
  ip_addr?: string;
  description?: string;
  enabled?: boolean;
}

/** Creates a (local, never pushed) host through the API. */
export async function createHost(api: Api, overrides: Partial<HostBody> = {}): Promise<HostJson> {
  return created(await api.post('/hosts', { name: `host-${unique()}`, ...overrides }), 'a host');
}

export interface ItemBody {
  name: string;
  key: string;
  value_type?: number;
  units?: string;
  description?: string;
  enabled?: boolean;
}

/** Creates a (local, never pushed) item on a host through the API. */
export async function createItem(api: Api, hostId: number, overrides: Partial<ItemBody> = {}): Promise<ItemJson> {
  const id = unique();
  return created(
    await api.post(`/hosts/${hostId}/items`, { name: `item-${id}`, key: `test.key[${id}]`, ...overrides }),
    'an item',
  );
}

/**
 * What only a sync can make (groups, hosts and items with ids on a monitor, in a given state), written straight
 * through the repositories.
 */
export function seeder(t: TestApp) {
  const data = t.app.get(DataSource);
  return {
    data,
    monitors: data.getRepository(Monitor),
    hosts: data.getRepository(Host),
    items: data.getRepository(Item),

    group(overrides: Partial<HostGroup> = {}): Promise<HostGroup> {
      const groups = data.getRepository(HostGroup);
      return groups.save(groups.create({ name: `group-${unique()}`, monitorId: null, externalId: null, ...overrides }));
    },

    syncedHost(monitorId: number, overrides: Partial<Host> = {}): Promise<Host> {
      const hosts = data.getRepository(Host);
      return hosts.save(
        hosts.create({
          name: `synced-host-${unique()}`,
          monitorId,
          externalId: String(10_000 + Math.floor(Math.random() * 1e9)),
          groupId: null,
          ipAddr: null,
          description: '',
          enabled: true,
          status: SyncStatus.Active,
          statusDescription: '',
          lastSyncAt: new Date(),
          ...overrides,
        }),
      );
    },

    syncedItem(host: Host, overrides: Partial<Item> = {}): Promise<Item> {
      const items = data.getRepository(Item);
      const id = unique();
      return items.save(
        items.create({
          hostId: host.id,
          name: `synced-item-${id}`,
          key: `synced.key[${id}]`,
          externalId: String(500_000 + Math.floor(Math.random() * 1e9)),
          externalHostId: host.externalId,
          valueType: 0,
          lastValue: null,
          units: '',
          description: '',
          enabled: true,
          status: SyncStatus.Active,
          statusDescription: '',
          lastSyncAt: new Date(),
          ...overrides,
        }),
      );
    },
  };
}
