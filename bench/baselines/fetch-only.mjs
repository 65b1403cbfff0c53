// Sync baseline: the JSON-RPC calls pull_hosts makes (as the provider makes them), with the replies thrown away.
/* global fetch, AbortSignal */
// `node bench/baselines/fetch-only.mjs <url> <user> <password> <hostsPerItemGet>` prints `@bench {ms, calls, bytes}`.
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import { memoryOf, tell } from '../lib.mjs';

const [base, username, password, batchArg] = process.argv.slice(2);
const endpoint = `${base.replace(/\/+$/, '')}/api_jsonrpc.php`;
const batchSize = Number(batchArg || 100);
let nextId = 1;
let bytes = 0;
let calls = 0;

/** One call; the reply is read in full and dropped unless `parse` asks for it. */
async function call(method, params, token, parse = false) {
  const body = { jsonrpc: '2.0', method, params, id: nextId++ };
  if (token) body.auth = token;
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json-rpc', Accept: 'application/json' },
    body: JSON.stringify(body),
    redirect: 'manual',
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  calls += 1;
  bytes += text.length;
  if (response.status !== 200) throw new Error(`${method}: HTTP ${response.status}`);
  return parse ? JSON.parse(text).result : undefined;
}

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
for (let i = 0; i < ids.length; i += batchSize) {
  await call('item.get', { output, hostids: ids.slice(i, i + batchSize) }, token);
}
const ms = performance.now() - started;
tell({ ms, calls, bytes, hosts: ids.length, ...memoryOf(process.pid) });
