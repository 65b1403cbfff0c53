// Sync baseline: the JSON-RPC calls pull_hosts makes (as the provider makes them), with the replies thrown away.
// `node bench/baselines/fetch-only.mjs <url> <user> <password> <hostsPerItemGet> [rounds]` prints one
// `@bench {ms, calls, bytes, ...}` line per round. The calls go over node:http with kept-alive connections, as the
// provider's client makes them, with as many item.get calls in flight as the sync keeps (ITEM_PULL_AHEAD in
// src/monitors/sync/sync.service.ts), and the rounds run in one process, so later rounds are as warm as a service
// that has synced before: the baseline is the leanest way to make these calls, not a slower one.
/* global Buffer */
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import { memoryOf, tell } from '../lib.mjs';

const [base, username, password, batchArg, roundsArg] = process.argv.slice(2);
const endpoint = new URL(`${base.replace(/\/+$/, '')}/api_jsonrpc.php`);
const batchSize = Number(batchArg || 100);
const rounds = Number(roundsArg || 1);
const ITEM_GETS_IN_FLIGHT = 2;
const agent = new Agent({ keepAlive: true, maxSockets: 4 });
let nextId = 1;
let bytes = 0;
let calls = 0;

/** One call; the reply is read in full and dropped unless `parse` asks for it. */
function call(method, params, token, parse = false) {
  const body = { jsonrpc: '2.0', method, params, id: nextId++ };
  if (token) body.auth = token;
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      endpoint,
      {
        method: 'POST',
        agent,
        headers: { 'Content-Type': 'application/json-rpc', 'Content-Length': Buffer.byteLength(payload) },
        timeout: 10_000,
      },
      (res) => {
        const chunks = [];
        res.on('data', (chunk) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          calls += 1;
          bytes += text.length;
          if (res.statusCode !== 200) reject(new Error(`${method}: HTTP ${res.statusCode}`));
          else resolve(parse ? JSON.parse(text).result : undefined);
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method}: timed out`)));
    req.on('error', reject);
    req.end(payload);
  });
}

for (let round = 0; round < rounds; round++) {
  calls = 0;
  bytes = 0;
  const started = performance.now();
  await call('apiinfo.version', {});
  const token = await call('user.login', { username, password }, undefined, true);
  // The host ids are the one thing of a reply the next calls need.
  const hosts = await call(
    'host.get',
    {
      output: ['hostid', 'host', 'name', 'description', 'status'],
      selectInterfaces: ['interfaceid', 'ip', 'dns', 'port', 'type', 'main', 'useip'],
      selectGroups: ['groupid', 'name'],
    },
    token,
    true,
  );
  const ids = hosts.map((host) => host.hostid);
  const output = ['itemid', 'hostid', 'name', 'key_', 'lastvalue', 'units', 'value_type', 'status', 'lastclock'];
  const batches = [];
  for (let i = 0; i < ids.length; i += batchSize) batches.push(ids.slice(i, i + batchSize));
  let next = 0;
  const lane = async () => {
    while (next < batches.length) await call('item.get', { output, hostids: batches[next++] }, token);
  };
  await Promise.all(Array.from({ length: ITEM_GETS_IN_FLIGHT }, lane));
  const ms = performance.now() - started;
  tell({ round, ms, calls, bytes, hosts: ids.length, ...memoryOf(process.pid) });
}
agent.destroy();
