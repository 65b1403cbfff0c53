// A Zabbix-compatible JSON-RPC server for the scale benchmarks (bench/scale.mjs): each inventory is generated from
// the ids asked for, never stored, so a million items cost the fixture no memory. Run as
// `node bench/scale-fixture.mjs <dialect> <hosts>x<items> [<hosts>x<items> ...]`, dialect 6.0 or 7.0: one port per
// inventory; prints `@bench {"version", "username", "password", "urls": [...]}`.
// Reply shapes are those of bench/zabbix-fixture.mjs (and of a real Zabbix): 6.0 reads the session from the body's
// `auth` and answers host groups as `groups` (selectGroups); 7.0 reads it from `Authorization: Bearer` only and
// answers them as `hostgroups` (selectHostGroups). Items carry lastvalue, lastclock, state and error.
import { Buffer } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import process from 'node:process';
import { FIXTURE_PASSWORD, FIXTURE_USER } from './zabbix-fixture.mjs';
import { tell } from './lib.mjs';

const FIRST_HOST = 20_000;
const FIRST_ITEM = 10_000_000;
const DIALECTS = {
  '6.0': { version: '6.0.14', tokenInHeader: false, groupsField: 'groups' },
  '7.0': { version: '7.0.6', tokenInHeader: true, groupsField: 'hostgroups' },
};

function host(index, dialect) {
  const hostid = String(FIRST_HOST + index);
  return {
    hostid,
    host: `host-${hostid}`,
    name: `Host ${hostid}`,
    description: '',
    status: '0',
    [dialect.groupsField]: [{ groupid: String(100 + (index % 5)), name: `Group ${index % 5}` }],
    interfaces: [
      {
        interfaceid: `9${hostid}`,
        ip: `10.${(index >> 16) & 255}.${(index >> 8) & 255}.${index & 255}`,
        dns: '',
        port: '10050',
        type: '1',
        main: '1',
        useip: '1',
      },
    ],
  };
}

function item(hostIndex, i, itemsPerHost) {
  const itemid = String(FIRST_ITEM + hostIndex * itemsPerHost + i);
  return {
    itemid,
    hostid: String(FIRST_HOST + hostIndex),
    name: `Item ${itemid}`,
    key_: `key.${itemid}`,
    units: '',
    value_type: '3',
    status: '0',
    // As real Zabbix: most items collected, the last of every ten not supported (a value it could not store).
    ...(i % 10 === 9
      ? { lastvalue: '0', lastclock: '0', state: '1', error: 'Value of type "string" is not suitable' }
      : { lastvalue: String(i), lastclock: String(1_764_000_000 + i), state: '0', error: '' }),
  };
}

/** The host indexes behind the ids asked for, those of hosts that exist, in the order asked. */
function hostIndexes(ids, hostCount) {
  const out = [];
  for (const id of ids ?? []) {
    const index = Number(id) - FIRST_HOST;
    if (Number.isInteger(index) && index >= 0 && index < hostCount) out.push(index);
  }
  return out;
}

function answerer(dialect, hostCount, itemsPerHost) {
  const sessions = new Set();
  const allIndexes = () => Array.from({ length: hostCount }, (_, index) => index);
  return (method, params, token) => {
    if (method === 'apiinfo.version') return dialect.version;
    if (method === 'user.login') {
      const name = dialect.tokenInHeader ? params.username : (params.username ?? params.user);
      if (name !== FIXTURE_USER || params.password !== FIXTURE_PASSWORD) {
        throw { code: -32500, message: 'Application error.', data: 'Incorrect user name or password.' };
      }
      const issued = randomBytes(16).toString('hex');
      sessions.add(issued);
      return issued;
    }
    if (!token) throw { code: -32602, message: 'Invalid params.', data: 'Not authorized.' };
    if (!sessions.has(token))
      throw { code: -32602, message: 'Invalid params.', data: 'Session terminated, re-login, please.' };
    if (method === 'host.get') {
      const indexes = params.hostids ? hostIndexes(params.hostids, hostCount) : allIndexes();
      const limited = params.limit ? indexes.slice(0, params.limit) : indexes;
      const idsOnly = Array.isArray(params.output) && params.output.length === 1 && params.output[0] === 'hostid';
      // selectItems: 'count' adds each host's item count as Zabbix does: a string, under `items`.
      const counted = params.selectItems === 'count' ? { items: String(itemsPerHost) } : {};
      return limited.map((index) =>
        idsOnly ? { hostid: String(FIRST_HOST + index), ...counted } : { ...host(index, dialect), ...counted },
      );
    }
    if (method === 'hostgroup.get') {
      const names = new Set(params.filter?.name ?? []);
      const groups = Array.from({ length: Math.min(5, hostCount) }, (_, g) => ({
        groupid: String(100 + g),
        name: `Group ${g}`,
      }));
      return groups.filter((group) => names.size === 0 || names.has(group.name));
    }
    if (method === 'item.get') {
      const out = [];
      if (params.itemids) {
        for (const id of params.itemids) {
          const n = Number(id) - FIRST_ITEM;
          if (Number.isInteger(n) && n >= 0 && n < hostCount * itemsPerHost)
            out.push(item(Math.floor(n / itemsPerHost), n % itemsPerHost, itemsPerHost));
        }
        return out;
      }
      for (const index of hostIndexes(params.hostids, hostCount))
        for (let i = 0; i < itemsPerHost; i++) out.push(item(index, i, itemsPerHost));
      return out;
    }
    throw { code: -32601, message: 'Method not found.', data: `Incorrect API "${method.split('.')[0]}".` };
  };
}

function serve(dialect, hostCount, itemsPerHost) {
  const answer = answerer(dialect, hostCount, itemsPerHost);
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
      const bearer = /^Bearer (\S+)$/.exec(request.headers.authorization ?? '')?.[1];
      const token = dialect.tokenInHeader ? bearer : parsed.auth;
      let reply;
      try {
        reply = { jsonrpc: '2.0', result: answer(parsed.method, parsed.params ?? {}, token), id: parsed.id };
      } catch (error) {
        if (!('code' in error)) throw error;
        reply = { jsonrpc: '2.0', error, id: parsed.id };
      }
      response.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(reply));
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${server.address().port}` }));
  });
}

const [dialectName, ...sizes] = process.argv.slice(2);
const dialect = DIALECTS[dialectName];
if (!dialect || sizes.length === 0) {
  process.stderr.write(`usage: scale-fixture.mjs <${Object.keys(DIALECTS).join('|')}> <hosts>x<items> ...\n`);
  process.exit(2);
}
const servers = [];
for (const size of sizes) {
  const [hosts, items] = size.split('x').map(Number);
  servers.push(await serve(dialect, hosts, items));
}
tell({
  version: dialect.version,
  username: FIXTURE_USER,
  password: FIXTURE_PASSWORD,
  urls: servers.map((entry) => entry.url),
});
process.on('SIGTERM', () => {
  for (const entry of servers) entry.server.close();
  process.exit(0);
});
