// A Zabbix-compatible JSON-RPC server (6.0 dialect) holding hosts × items, for the sync benchmark.
// Run as `node bench/zabbix-fixture.mjs <hosts> <itemsPerHost>`: prints `@bench {"url", "username", "password"}`.
// Replies have the shapes of test/support/zabbix-inventory-fixture.ts (and of a real Zabbix 6.0).
import { Buffer } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import process from 'node:process';
import { pathToFileURL } from 'node:url';
import { tell } from './lib.mjs';

const VERSION = '6.0.14';
export const FIXTURE_USER = 'Admin';
export const FIXTURE_PASSWORD = 'bench-zabbix-password';

export function buildInventory(hostCount, itemsPerHost) {
  const hosts = new Map();
  const itemsByHost = new Map();
  for (let h = 0; h < hostCount; h++) {
    const hostid = String(20_000 + h);
    hosts.set(hostid, {
      hostid,
      host: `host-${hostid}`,
      name: `Host ${hostid}`,
      description: '',
      status: '0',
      groups: [{ groupid: String(100 + (h % 5)), name: `Group ${h % 5}` }],
      interfaces: [
        {
          interfaceid: `9${hostid}`,
          ip: `10.${(h >> 16) & 255}.${(h >> 8) & 255}.${h & 255}`,
          dns: '',
          port: '10050',
          type: '1',
          main: '1',
          useip: '1',
        },
      ],
    });
    const items = [];
    for (let i = 0; i < itemsPerHost; i++) {
      const itemid = String(1_000_000 + h * itemsPerHost + i);
      items.push({
        itemid,
        hostid,
        name: `Item ${itemid}`,
        key_: `key.${itemid}`,
        units: '',
        value_type: '3',
        status: '0',
        // As real Zabbix: most items collected, the last of every ten not supported (a value it could not store).
        ...(i % 10 === 9
          ? { lastvalue: '0', lastclock: '0', state: '1', error: 'Value of type "string" is not suitable' }
          : { lastvalue: String(i), lastclock: String(1_764_000_000 + i), state: '0', error: '' }),
      });
    }
    itemsByHost.set(hostid, items);
  }
  return { hosts, itemsByHost };
}

export function startFixture(hostCount, itemsPerHost) {
  const { hosts, itemsByHost } = buildInventory(hostCount, itemsPerHost);
  const sessions = new Set();
  const answer = (method, params, auth) => {
    if (method === 'apiinfo.version') return VERSION;
    if (method === 'user.login') {
      const name = params.username ?? params.user;
      if (name !== FIXTURE_USER || params.password !== FIXTURE_PASSWORD) {
        throw { code: -32500, message: 'Application error.', data: 'Incorrect user name or password.' };
      }
      const token = randomBytes(16).toString('hex');
      sessions.add(token);
      return token;
    }
    if (!auth) throw { code: -32602, message: 'Invalid params.', data: 'Not authorized.' };
    if (!sessions.has(auth))
      throw { code: -32602, message: 'Invalid params.', data: 'Session terminated, re-login, please.' };
    if (method === 'host.get') {
      const wanted = params.hostids;
      if (params.limit === 1) return [...hosts.values()].slice(0, 1).map((host) => ({ hostid: host.hostid }));
      const found = wanted ? wanted.flatMap((id) => hosts.get(String(id)) ?? []) : [...hosts.values()];
      // selectItems: 'count' adds each host's item count as Zabbix does: a string, under `items`.
      if (params.selectItems !== 'count') return found;
      return found.map((host) => ({ ...host, items: String(itemsByHost.get(host.hostid)?.length ?? 0) }));
    }
    if (method === 'hostgroup.get') {
      const names = new Set(params.filter?.name ?? []);
      const groups = new Map();
      for (const host of hosts.values()) for (const group of host.groups) groups.set(group.groupid, group);
      return [...groups.values()].filter((group) => names.size === 0 || names.has(group.name));
    }
    if (method === 'item.get') {
      if (params.itemids) {
        const wanted = new Set(params.itemids.map(String));
        return [...itemsByHost.values()].flat().filter((item) => wanted.has(item.itemid));
      }
      return (params.hostids ?? []).flatMap((id) => itemsByHost.get(String(id)) ?? []);
    }
    throw { code: -32601, message: 'Method not found.', data: `Incorrect API "${method.split('.')[0]}".` };
  };

  const server = createServer((request, response) => {
    const chunks = [];
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('end', () => {
      let parsed;
      try {
        parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        response.writeHead(400).end();
        return;
      }
      let reply;
      try {
        reply = { jsonrpc: '2.0', result: answer(parsed.method, parsed.params ?? {}, parsed.auth), id: parsed.id };
      } catch (error) {
        if (!('code' in error)) throw error;
        reply = { jsonrpc: '2.0', error, id: parsed.id };
      }
      response.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(reply));
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const url = `http://127.0.0.1:${server.address().port}`;
      resolve({ url, username: FIXTURE_USER, password: FIXTURE_PASSWORD, server });
    });
  });
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [hosts, items] = process.argv.slice(2).map(Number);
  const fixture = await startFixture(hosts, items);
  tell({ url: fixture.url, username: fixture.username, password: fixture.password });
  process.on('SIGTERM', () => fixture.server.close(() => process.exit(0)));
}
