#!/usr/bin/env node
/**
 * Renders the figures of the last chaos run (test/chaos/results/<part>.json, written by each part of
 * `npm run test:chaos`) into docs/reliability.md, between the `chaos-figures` markers:
 *
 *   node test/chaos/report.mjs
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const RESULTS = join(process.cwd(), 'test', 'chaos', 'results');
const DOC = join(process.cwd(), 'docs', 'reliability.md');
const START = '<!-- chaos-figures:start -->';
const END = '<!-- chaos-figures:end -->';
const PARTS = [
  ['crash', '1. Crash'],
  ['redis-outage', '2. Redis outage'],
  ['shutdown', '3. Shutdown'],
  ['fuzz', '4. Bad input'],
  ['fuzz-1mb', '4. Bad input, production body limit'],
  ['auth', '5. Auth'],
];

const load = (part) => {
  const file = join(RESULTS, `${part}.json`);
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : undefined;
};

/** `a.b.c` → value, objects flattened, short lists and small objects of numbers kept as one JSON cell. */
function flatten(value, prefix = '', out = []) {
  const compact = (v) => JSON.stringify(v).replaceAll('|', '\\|').replaceAll(',', ', ');
  if (Array.isArray(value)) {
    out.push([prefix, compact(value)]);
  } else if (value && typeof value === 'object') {
    const leafy = Object.values(value).every((v) => typeof v !== 'object' || v === null);
    if (leafy && Object.keys(value).length > 1 && Object.keys(value).length <= 14 && /by_|states|rows_/.test(prefix)) {
      out.push([prefix, compact(value)]);
    } else {
      for (const [key, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${key}` : key, out);
    }
  } else {
    out.push([prefix, String(value)]);
  }
  return out;
}

const results = Object.fromEntries(PARTS.map(([part]) => [part, load(part)]));
const get = (part, path) => path.split('.').reduce((v, key) => v?.[key], results[part]);
const n = (v) => (v === undefined || v === null ? '–' : String(v));

const lines = [START, ''];
lines.push('| Part | Tasks or requests | Kills | Duplicates | 5xx | Lost | Database | Run at |');
lines.push('| --- | --- | --- | --- | --- | --- | --- | --- |');
const summary = {
  crash: [
    `${n(get('crash', 'tasks'))} tasks`,
    n(get('crash', 'kills')),
    n(get('crash', 'duplicate_executions_logged')),
    '0',
    n(get('crash', 'lost')),
  ],
  'redis-outage': [
    `${n(get('redis-outage', 'requests'))} requests`,
    'Redis ×1',
    '–',
    n(get('redis-outage', 'http_5xx_other_than_503')),
    n(get('redis-outage', 'lost')),
  ],
  shutdown: [
    `${n(get('shutdown', 'drain.tasks'))} + ${n(get('shutdown', 'requeue.tasks'))} tasks`,
    'SIGTERM ×2',
    '–',
    '–',
    n((get('shutdown', 'drain.lost') ?? 0) + (get('shutdown', 'requeue.lost') ?? 0)),
  ],
  fuzz: [`${n(get('fuzz', 'requests'))} requests`, '–', '–', n(get('fuzz', 'http_5xx')), '–'],
  'fuzz-1mb': [`${n(get('fuzz-1mb', 'requests'))} requests`, '–', '–', n(get('fuzz-1mb', 'http_5xx')), '–'],
  auth: [
    `${n((get('auth', 'bad_tokens.requests') ?? 0) + (get('auth', 'low_privilege.requests') ?? 0))} requests`,
    '–',
    '–',
    n(get('auth', 'http_5xx')),
    '–',
  ],
};
for (const [part, title] of PARTS) {
  if (!results[part]) continue;
  lines.push(`| ${title} | ${summary[part].join(' | ')} | ${results[part].database} | ${results[part].finished_at} |`);
}
for (const [part, title] of PARTS) {
  const result = results[part];
  if (!result) continue;
  lines.push('', `#### ${title} (\`test/chaos/results/${part}.json\`)`, '', '| Figure | Value |', '| --- | --- |');
  const { part: _part, finished_at: _at, database: _db, findings, ...figures } = result;
  for (const [name, value] of flatten(figures)) lines.push(`| ${name} | ${value} |`);
  if (findings?.length) lines.push(`| findings | ${JSON.stringify(findings).replaceAll('|', '\\|')} |`);
}
lines.push('', END);

const doc = readFileSync(DOC, 'utf8');
const from = doc.indexOf(START);
const to = doc.indexOf(END);
if (from < 0 || to < 0) throw new Error(`${DOC} lacks the ${START} … ${END} markers`);
const text = `${doc.slice(0, from)}${lines.join('\n')}${doc.slice(to + END.length)}`;
// Formatted as `npm run lint` wants it (the tables aligned).
const prettier = await import('prettier');
const options = (await prettier.resolveConfig(DOC)) ?? {};
writeFileSync(DOC, await prettier.format(text, { ...options, filepath: DOC }));
console.log(`docs/reliability.md: figures of ${PARTS.filter(([p]) => results[p]).length} parts written`);
