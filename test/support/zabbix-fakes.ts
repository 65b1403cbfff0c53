import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sleep } from './time';
import { fakeHost, fakeItem } from './zabbix';
import type { ZabbixInventoryFixture } from './zabbix-inventory-fixture';

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
  private readonly arrivedWithBearer = new Map<string, number>();

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

  /** How many calls of `method` reached the proxy with their token in `Authorization: Bearer`. */
  countWithBearer(method: string): number {
    return this.arrivedWithBearer.get(method) ?? 0;
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
    if (req.headers.authorization?.startsWith('Bearer ')) {
      this.arrivedWithBearer.set(method, this.countWithBearer(method) + 1);
    }
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
