import { expect } from '@jest/globals';
import Bull, { type Queue } from 'bull';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { type Api, apiAs } from './inventory-factory';
import type { TestApp } from './test-app';
import { createTestDatabase, type TestDatabase } from './test-database';
import { fakeHost, fakeItem } from './zabbix';
import type { ZabbixInventoryFixture } from './zabbix-inventory-fixture';

/** The guide's seven task types, in the order of its stats object. */
export const TASK_TYPES = [
  'pull_hosts',
  'pull_items',
  'generate_alerts',
  'pull_host',
  'pull_item',
  'push_host',
  'push_item',
] as const;
export type TaskTypeName = (typeof TASK_TYPES)[number];

export type TaskState = 'waiting' | 'delayed' | 'active' | 'completed' | 'failed' | 'dead';

/** GET /api/v1/tasks/:task_id */
export interface TaskJson {
  task_id: string;
  type: TaskTypeName;
  state: TaskState;
  progress: number;
  attempts_made: number;
  max_attempts: number;
  params: Record<string, unknown>;
  result: unknown;
  error: string | null;
  created_at: string | null;
  started_at: string | null;
  finished_at: string | null;
}

export interface QueueCountsJson {
  waiting: number;
  active: number;
  delayed: number;
  completed: number;
  failed: number;
  paused: number;
}

/** GET /api/v1/queue/stats/detail */
export interface QueueDetailJson {
  queues: Record<TaskTypeName, QueueCountsJson>;
  dead: number;
}

export interface DeadLetterJson {
  task_id: string;
  type: TaskTypeName;
  params: Record<string, unknown>;
  error: string;
  attempts: number;
  failed_at: string;
}

/** An in-process app's server, or the base URL of a service process (`http://127.0.0.1:<port>`). */
export type HttpTarget = Server | string;

export const ISO_DATE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;

/** An authenticated `/api/v1` client for an in-process app or a service process. */
export function apiOn(http: HttpTarget, token: string): Api {
  // apiAs only reads the server off the app; supertest takes a base URL as well as a server.
  return apiAs({ http } as unknown as TestApp, token);
}

export function getTask(http: HttpTarget, token: string, taskId: string): Promise<request.Response> {
  return apiOn(http, token).get(`/tasks/${encodeURIComponent(taskId)}`);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Polls GET /api/v1/tasks/:id until the task is in one of `states`, and returns it. `onPoll` sees every answer
 * on the way (to record states and progress). Fails naming the last state seen when time runs out.
 */
export async function waitForTask(
  http: HttpTarget,
  token: string,
  taskId: string,
  states: TaskState | TaskState[],
  timeoutMs = 15_000,
  onPoll?: (task: TaskJson) => void,
): Promise<TaskJson> {
  const wanted = Array.isArray(states) ? states : [states];
  const deadline = Date.now() + timeoutMs;
  let last = '(no answer yet)';
  for (;;) {
    const res = await getTask(http, token, taskId);
    if (res.status === 200) {
      const task = res.body as TaskJson;
      onPoll?.(task);
      if (wanted.includes(task.state)) return task;
      last = JSON.stringify(task);
    } else {
      last = `${res.status} ${res.text}`;
    }
    if (Date.now() > deadline) {
      throw new Error(`task ${taskId} was not ${wanted.join('/')} after ${timeoutMs} ms; last seen: ${last}`);
    }
    await sleep(20);
  }
}

/** Waits for the task like waitForTask, and also returns every answer seen on the way. */
export async function watchTask(
  http: HttpTarget,
  token: string,
  taskId: string,
  states: TaskState | TaskState[],
  timeoutMs = 15_000,
): Promise<{ final: TaskJson; seen: TaskJson[] }> {
  const seen: TaskJson[] = [];
  const final = await waitForTask(http, token, taskId, states, timeoutMs, (task) => seen.push(task));
  return { final, seen };
}

/** The states in the order they were seen, each once per run of equal states. */
export function stateSequence(seen: TaskJson[]): TaskState[] {
  return seen.map((task) => task.state).filter((state, index, all) => index === 0 || all[index - 1] !== state);
}

export async function queueDetail(http: HttpTarget, token: string): Promise<QueueDetailJson> {
  const res = await apiOn(http, token).get('/queue/stats/detail');
  expect(res.status).toBe(200);
  return res.body as QueueDetailJson;
}

export async function queueStats(http: HttpTarget, token: string): Promise<Record<TaskTypeName, number>> {
  const res = await apiOn(http, token).get('/queue/stats');
  expect(res.status).toBe(200);
  return res.body as Record<TaskTypeName, number>;
}

/** Every job the queues hold in any state, plus the dead letters: unchanged when nothing was queued. */
export function jobTotal(detail: QueueDetailJson): number {
  let total = detail.dead;
  for (const counts of Object.values(detail.queues)) {
    total += counts.waiting + counts.active + counts.delayed + counts.completed + counts.failed + counts.paused;
  }
  return total;
}

/** The `<type>:<number>` task id of a 202 body. */
export function taskIdPattern(type: TaskTypeName): RegExp {
  return new RegExp(`^${type}:\\d+$`);
}

/** The JSON lines of a system.log (a last line still being written is left out). */
export function logLines(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .slice(0, -1)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** The system.log lines about one task that mention `worker` (the guide's `grep worker`). */
export function workerLines(text: string, taskId: string): Record<string, unknown>[] {
  return logLines(text).filter((line) => JSON.stringify(line).includes('worker') && line.task_id === taskId);
}

/**
 * Lets the fixture take pushes as Zabbix 6.0 would: host groups by name, host.create/update, the interfaces,
 * item.create/update, storing what it is sent in the fixture's hosts and items so a later pull sees it.
 */
export function acceptPushes(fixture: ZabbixInventoryFixture): void {
  const groupNames = new Map<string, string>();
  for (const host of fixture.hosts.values()) {
    for (const group of host.groups as { groupid: string; name: string }[]) groupNames.set(group.groupid, group.name);
  }
  let nextId = 70_000;
  const newId = () => String(nextId++);
  const interfaceOf = (input: Record<string, unknown>, interfaceid: string) => ({
    interfaceid,
    ip: String(input.ip ?? ''),
    dns: String(input.dns ?? ''),
    port: String(input.port ?? '10050'),
    type: String(input.type ?? 1),
    main: String(input.main ?? 1),
    useip: String(input.useip ?? 1),
  });
  const groupsOf = (groups: { groupid: string }[]) =>
    groups.map(({ groupid }) => ({ groupid, name: groupNames.get(groupid) ?? `group ${groupid}` }));

  fixture.fake
    .on('hostgroup.get', (req) => {
      const names = ((req.params.filter as { name?: string[] } | undefined)?.name ?? []).map(String);
      return [...groupNames].filter(([, name]) => names.includes(name)).map(([groupid, name]) => ({ groupid, name }));
    })
    .on('hostgroup.create', (req) => {
      const groupid = newId();
      groupNames.set(groupid, String(req.params.name));
      return { groupids: [groupid] };
    })
    .on('host.create', (req) => {
      const p = req.params;
      const hostid = newId();
      fixture.hosts.set(
        hostid,
        fakeHost(hostid, {
          host: p.host,
          name: p.name,
          description: p.description ?? '',
          status: String(p.status ?? 0),
          groups: groupsOf(p.groups as { groupid: string }[]),
          interfaces: (p.interfaces as Record<string, unknown>[]).map((i) => interfaceOf(i, newId())),
        }),
      );
      return { hostids: [hostid] };
    })
    .on('host.update', (req) => {
      const { hostid, ...changes } = req.params;
      const host = fixture.hosts.get(String(hostid))!;
      if (changes.groups) changes.groups = groupsOf(changes.groups as { groupid: string }[]);
      if (changes.status !== undefined) changes.status = String(changes.status);
      Object.assign(host, changes);
      return { hostids: [String(hostid)] };
    })
    .on('hostinterface.update', (req) => {
      const { interfaceid, ...changes } = req.params;
      for (const host of fixture.hosts.values()) {
        for (const entry of host.interfaces as Record<string, unknown>[]) {
          if (entry.interfaceid === interfaceid) {
            for (const [key, value] of Object.entries(changes)) entry[key] = String(value);
          }
        }
      }
      return { interfaceids: [String(interfaceid)] };
    })
    .on('hostinterface.create', (req) => {
      const interfaceid = newId();
      const host = fixture.hosts.get(String(req.params.hostid))!;
      host.interfaces = [...(host.interfaces as object[]), interfaceOf(req.params, interfaceid)];
      return { interfaceids: [interfaceid] };
    })
    .on('item.create', (req) => {
      const p = req.params;
      const itemid = newId();
      fixture.items.set(
        itemid,
        fakeItem(itemid, String(p.hostid), {
          name: p.name,
          key_: p.key_,
          value_type: String(p.value_type),
          units: p.units ?? '',
          description: p.description ?? '',
          status: String(p.status ?? 0),
          type: String(p.type),
        }),
      );
      return { itemids: [itemid] };
    })
    .on('item.update', (req) => {
      const { itemid, ...changes } = req.params;
      const item = fixture.items.get(String(itemid))!;
      for (const [key, value] of Object.entries(changes)) item[key] = String(value);
      return { itemids: [String(itemid)] };
    });
}

/**
 * A loopback HTTP proxy in front of a (fake) Zabbix that can slow down or hold the JSON-RPC calls of chosen
 * methods, so a test can catch a task in the middle of its work.
 */
export class SlowZabbixProxy {
  private readonly delays = new Map<string, number>();
  private readonly holds = new Map<string, (() => void)[]>();
  private readonly arrived = new Map<string, number>();

  private constructor(
    private readonly server: Server,
    readonly url: string,
    private readonly target: string,
  ) {}

  static async start(target: string): Promise<SlowZabbixProxy> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const proxy = new SlowZabbixProxy(server, `http://127.0.0.1:${port}`, target);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => void proxy.forward(req, res, Buffer.concat(chunks).toString('utf8')));
    });
    return proxy;
  }

  /** Every call of `method` from now on waits `ms` before it is passed on (0: no delay). */
  delay(method: string, ms: number): this {
    this.delays.set(method, ms);
    return this;
  }

  /** Calls of `method` from now on wait until release(method). */
  hold(method: string): this {
    if (!this.holds.has(method)) this.holds.set(method, []);
    return this;
  }

  /** Passes on the held calls of `method` and stops holding it. */
  release(method: string): void {
    const waiting = this.holds.get(method) ?? [];
    this.holds.delete(method);
    for (const go of waiting) go();
  }

  /** How many calls of `method` are being held right now. */
  held(method: string): number {
    return this.holds.get(method)?.length ?? 0;
  }

  /** How many calls of `method` reached the proxy. */
  count(method: string): number {
    return this.arrived.get(method) ?? 0;
  }

  async close(): Promise<void> {
    for (const method of [...this.holds.keys()]) this.release(method);
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async forward(req: IncomingMessage, res: ServerResponse, body: string): Promise<void> {
    let method = '';
    try {
      method = String((JSON.parse(body) as { method?: unknown }).method);
    } catch {
      // passed on as it is; the fake answers 400
    }
    this.arrived.set(method, this.count(method) + 1);
    const delay = this.delays.get(method) ?? 0;
    if (delay > 0) await sleep(delay);
    const holding = this.holds.get(method);
    if (holding) await new Promise<void>((resolve) => holding.push(resolve));
    try {
      const headers: Record<string, string> = { 'Content-Type': req.headers['content-type'] ?? 'application/json' };
      if (req.headers.authorization) headers.Authorization = req.headers.authorization;
      const reply = await fetch(`${this.target}${req.url ?? '/'}`, { method: 'POST', headers, body });
      const text = await reply.text();
      res
        .writeHead(reply.status, { 'Content-Type': reply.headers.get('content-type') ?? 'application/json' })
        .end(text);
    } catch {
      if (!res.headersSent) res.writeHead(502).end();
    }
  }
}

/**
 * What processes (or in-process apps) that share their queues must share: one Redis, one queue prefix, one
 * database (with the secret its monitor passwords are encrypted under), and quick retries.
 */
export interface SharedQueue {
  dir: string;
  database: TestDatabase;
  prefix: string;
  redisUrl: string;
  /** The environment overrides every sharer gets. */
  env: Record<string, string>;
  /** Drops the shared database and directory: call after every sharer is closed. */
  close(): Promise<void>;
}

export async function sharedQueue(extra: Record<string, string> = {}): Promise<SharedQueue> {
  const redisUrl = process.env.NAGARE_TEST_REDIS_URL;
  if (!redisUrl) throw new Error('NAGARE_TEST_REDIS_URL is unset: run the suites through jest');
  const dir = mkdtempSync(join(tmpdir(), 'nagare-queue-'));
  const database = await createTestDatabase(dir);
  const prefix = `nagare-test:${randomBytes(4).toString('hex')}`;
  return {
    dir,
    database,
    prefix,
    redisUrl,
    env: {
      REDIS_URL: redisUrl,
      QUEUE_PREFIX: prefix,
      DATABASE_URL: database.url,
      JWT_SECRET: randomBytes(32).toString('hex'),
      TASK_BACKOFF_MS: '50',
      ...extra,
    },
    async close() {
      await database.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A Bull queue of one task type opened on its own connections, for what the API cannot do (simulate crashes). */
export function bullQueue(redisUrl: string, prefix: string, name: string): Queue {
  return new Bull(name, redisUrl, { prefix });
}

export { sleep };
