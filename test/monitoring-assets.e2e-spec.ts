import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { startTestApp, type TestApp } from './support/test-app';

const ROOT = process.cwd();
const DASHBOARD = join(ROOT, 'deploy/grafana/nagare-dashboard.json');
const RULES = join(ROOT, 'deploy/prometheus/alerts.yml');
/** Series Prometheus makes itself rather than scraping them. */
const PROMETHEUS_OWN = new Set(['up']);
/** Series names as the dashboard and rules write them (PromQL functions and label names never start so). */
const METRIC_NAME = /\b(?:nagare|process|nodejs)_[a-zA-Z0-9_]+\b|\bup\b/g;

interface Dashboard {
  panels: Array<{ title: string; targets: Array<{ expr: string }> }>;
  templating: { list: Array<{ name: string; definition?: string }> };
}

/** Every series name a scrape of the service offers: each family, and a histogram's _bucket, _sum and _count. */
async function exportedNames(t: TestApp): Promise<Set<string>> {
  const res = await request(t.http).get('/metrics');
  expect(res.status).toBe(200);
  const names = new Set<string>();
  for (const [, name, type] of res.text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    names.add(name);
    if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(name + suffix);
  }
  return names;
}

/** The `expr:` values of the rule file (a block scalar `>` continues on the lines indented under it). */
function ruleExpressions(yaml: string): string[] {
  const expressions: string[] = [];
  const lines = yaml.split('\n');
  lines.forEach((line, index) => {
    const match = /^(\s*)expr: (.*)$/.exec(line);
    if (!match) return;
    if (match[2].trim() !== '>') return expressions.push(match[2]);
    const body: string[] = [];
    for (let next = index + 1; next < lines.length && lines[next].startsWith(`${match[1]}  `); next++) {
      body.push(lines[next].trim());
    }
    expressions.push(body.join(' '));
  });
  return expressions;
}

describe('Grafana dashboard and Prometheus rules name only exported metrics (e2e)', () => {
  let t: TestApp;
  let exported: Set<string>;

  beforeAll(async () => {
    t = await startTestApp();
    exported = await exportedNames(t);
  });
  afterAll(() => t.close());

  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as Dashboard;
  const queries = [
    ...dashboard.panels.flatMap((panel) => panel.targets.map((target) => [panel.title, target.expr])),
    ...dashboard.templating.list.filter((v) => v.definition).map((v) => [`variable ${v.name}`, v.definition as string]),
  ];
  const rules = ruleExpressions(readFileSync(RULES, 'utf8'));

  it('finds the queries and rules it checks', () => {
    expect(dashboard.panels.length).toBeGreaterThanOrEqual(10);
    expect(queries.length).toBeGreaterThanOrEqual(dashboard.panels.length);
    expect(rules).toHaveLength(6);
  });

  it.each(queries)('dashboard "%s" queries exported metrics: %s', (_title, expr) => {
    const named = expr.match(METRIC_NAME) ?? [];
    expect(named.length).toBeGreaterThan(0);
    expect(named.filter((name) => !exported.has(name))).toEqual([]);
  });

  it.each(rules)('alert rule queries exported metrics: %s', (expr) => {
    const named = expr.match(METRIC_NAME) ?? [];
    expect(named.length).toBeGreaterThan(0);
    expect(named.filter((name) => !exported.has(name) && !PROMETHEUS_OWN.has(name))).toEqual([]);
  });

  it('would catch a misspelt metric', () => {
    expect(exported.has('nagare_queue_oldest_waiting_seconds')).toBe(true);
    expect(exported.has('nagare_queue_oldest_waiting_secs')).toBe(false);
  });
});
