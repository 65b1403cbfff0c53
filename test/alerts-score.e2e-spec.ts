import { performance } from 'node:perf_hooks';
import { DataSource } from 'typeorm';
import { alertScore, totalWeight } from '../src/alerts/alert-score';
import type { AlertSeverity, AlertStatus } from '../src/alerts/entities/alert-levels';
import { AlertsService } from '../src/alerts/services/alerts.service';
import { type Api, apiAs } from './support/inventory-factory';
import { startTestApp, type TestApp } from './support/test-app';

const ROWS = 1_000_000;

/** The mix the bulk insert writes: row n has severity n % 4 and status (n / 4) % 3, all twelve pairs equally. */
const severityOf = (n: number) => (n % 4) as AlertSeverity;
const statusOf = (n: number) => (Math.floor(n / 4) % 3) as AlertStatus;

function* mix(): Generator<{ severity: AlertSeverity; status: AlertStatus }> {
  for (let n = 1; n <= ROWS; n += 1) yield { severity: severityOf(n), status: statusOf(n) };
}

/** One INSERT ... SELECT over a generated series, in each database's own SQL (the same mix as `mix`). */
function bulkInsertSql(kind: 'sqlite' | 'postgres'): string {
  const select = `SELECT 'bulk alert ' || n, n % 4, (n / 4) % 3`;
  const columns = `INSERT INTO "alerts" ("message", "severity", "status")`;
  return kind === 'postgres'
    ? `${columns} ${select} FROM generate_series(1, ${ROWS}) AS n`
    : `${columns} WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < ${ROWS}) ${select} FROM seq`;
}

const elapsed = async <T>(work: () => Promise<T>): Promise<[T, number]> => {
  const start = performance.now();
  const result = await work();
  return [result, performance.now() - start];
};

describe('alert score over a million alerts (e2e, benchmark)', () => {
  let t: TestApp;
  let api: Api;
  let kind: 'sqlite' | 'postgres';

  beforeAll(async () => {
    t = await startTestApp();
    api = apiAs(t, await t.login());
    const data = t.app.get(DataSource);
    kind = data.options.type === 'postgres' ? 'postgres' : 'sqlite';
    const [, insertMs] = await elapsed(() => data.query(bulkInsertSql(kind)));
    console.log(`alerts benchmark (${kind}): inserted ${ROWS} alerts in ${Math.round(insertMs)} ms`);
  }, 120_000);
  afterAll(() => t?.close());

  it('sums the exact weight of all million alerts in the database', async () => {
    const [count] = await t.app.get(DataSource).query(`SELECT COUNT(*) AS count FROM "alerts"`);
    expect(Number(count.count)).toBe(ROWS);
    const expected = totalWeight(mix());
    expect(expected).toBeGreaterThan(ROWS); // most rows count, so the aggregate cannot skip them
    expect(await t.app.get(AlertsService).weight()).toBe(expected);
  });

  it('answers GET /alerts/score with the score of that weight, and prints how long it took', async () => {
    const expected = alertScore(totalWeight(mix()));
    const timings: number[] = [];
    for (let run = 0; run < 3; run += 1) {
      const [res, ms] = await elapsed(() => api.get('/alerts/score'));
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ score: expected });
      timings.push(ms);
    }
    console.log(
      `alerts benchmark (${kind}): GET /alerts/score over ${ROWS} alerts took ` +
        `${timings.map((ms) => `${Math.round(ms)} ms`).join(', ')} (first, then warm)`,
    );
    expect(Math.max(...timings)).toBeLessThan(5000);
  });

  it('lists the newest page of a million alerts with its total, and prints how long it took', async () => {
    const [res, ms] = await elapsed(() => api.get('/alerts', { limit: 50 }));
    expect(res.status).toBe(200);
    expect(res.body.total).toBe(ROWS);
    expect(res.body.items.map((alert: { id: number }) => alert.id)).toEqual(
      Array.from({ length: 50 }, (_, index) => ROWS - index),
    );
    console.log(`alerts benchmark (${kind}): GET /alerts?limit=50 over ${ROWS} alerts took ${Math.round(ms)} ms`);
    expect(ms).toBeLessThan(5000);
  });
});
