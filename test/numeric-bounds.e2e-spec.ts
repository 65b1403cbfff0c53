import request from 'supertest';
import { type Operation, operationsOf, type Schema } from './chaos/fuzz-support';
import { apiAs, createMonitor } from './support/inventory-factory';
import { startTestApp, type TestApp } from './support/test-app';

/** Past every database's integer column, past SQLite's 64-bit integers, and below zero. */
const OUT_OF_RANGE = ['1e20', '-1e20', '2147483648'];
/** The largest offset every list accepts (src/common/http/pagination.dto.ts). */
const MAX_OFFSET = 2_147_483_647;

const isNumeric = (schema: Schema | undefined) => schema?.type === 'integer' || schema?.type === 'number';

interface NumericField {
  op: Operation;
  in: 'query' | 'body';
  name: string;
}

/** Every numeric query parameter and body property the OpenAPI document lists. */
function numericFields(operations: Operation[]): NumericField[] {
  return operations.flatMap((op) => [
    ...op.parameters
      .filter((param) => param.in === 'query' && isNumeric(param.schema))
      .map((param) => ({ op, in: 'query' as const, name: param.name })),
    ...Object.entries(op.body?.properties ?? {})
      .filter(([, schema]) => isNumeric(schema))
      .map(([name]) => ({ op, in: 'body' as const, name })),
  ]);
}

/**
 * Every number a client sends that reaches the database or Redis is bounded: a value past the range is a 400 naming
 * the field, never a 500 (issue 15, item 4: `GET /hosts?offset=1e20` was SQLite's "datatype mismatch").
 */
describe('numeric input bounds (e2e)', () => {
  let t: TestApp;
  let token: string;
  let operations: Operation[];
  /** Monitor 1's event token: POST /monitors/1/events takes that, not a user's token. */
  let eventToken: string;

  beforeAll(async () => {
    t = await startTestApp();
    token = await t.login();
    const admin = apiAs(t, token);
    const monitor = await createMonitor(admin);
    // The paths below call {id} 1.
    expect(monitor.id).toBe(1);
    eventToken = (await admin.post(`/monitors/${monitor.id}/event-token`)).body.event_token;
    const doc = await request(t.http).get('/docs-json');
    operations = operationsOf(doc.body as Parameters<typeof operationsOf>[0]);
  });
  afterAll(() => t.close());

  const call = (op: Operation, query: string, body?: object) => {
    const path = `${op.path.replace(/\{[^}]+\}/g, '1')}${query}`;
    const bearer = op.path.endsWith('/events') ? eventToken : token;
    const req = request(t.http)[op.method.toLowerCase() as 'get'](path).set('Authorization', `Bearer ${bearer}`);
    return body ? req.send(body) : req;
  };

  it('finds the numeric fields to check, offset on every list among them', () => {
    const fields = numericFields(operations);
    const lists = operations.filter((op) => op.parameters.some((param) => param.name === 'offset'));
    expect(lists.map((op) => op.path).sort()).toEqual(
      expect.arrayContaining([
        '/api/v1/alerts',
        '/api/v1/hosts',
        '/api/v1/items',
        '/api/v1/monitors',
        '/api/v1/queue/dead',
        '/api/v1/users',
        '/api/v1/webhooks/dead',
      ]),
    );
    expect(fields.filter((field) => field.in === 'body').length).toBeGreaterThan(5);
  });

  it('answers 400 naming the field to a number out of range in any query string or body', async () => {
    const unbounded: string[] = [];
    for (const field of numericFields(operations)) {
      for (const text of OUT_OF_RANGE) {
        const res =
          field.in === 'query'
            ? await call(field.op, `?${field.name}=${text}`)
            : await call(field.op, '', { [field.name]: Number(text) });
        const named = JSON.stringify(res.body.message ?? '').includes(field.name);
        if (res.status !== 400 || !named) {
          unbounded.push(`${field.op.method} ${field.op.path} ${field.in} ${field.name}=${text}: ${res.status}`);
        }
      }
    }
    expect(unbounded).toEqual([]);
  });

  it('answers every list at the largest offset with an empty page, and one past it with a 400 naming offset', async () => {
    const lists = operations.filter((op) => op.method === 'GET' && op.parameters.some((p) => p.name === 'offset'));
    for (const op of lists) {
      // A list under a path id (/monitors/1/hosts) may answer 404: there is no monitor 1 here.
      const last = await call(op, `?offset=${MAX_OFFSET}`);
      const page = last.status === 200 ? (last.body as { items: unknown[] }).items : [];
      expect({ path: op.path, ok: [200, 404].includes(last.status), page }).toEqual({
        path: op.path,
        ok: true,
        page: [],
      });
      const past = await call(op, `?offset=${MAX_OFFSET + 1}`);
      expect({ path: op.path, status: past.status }).toEqual({ path: op.path, status: 400 });
      expect(JSON.stringify(past.body.message)).toContain(`offset must not be greater than ${MAX_OFFSET}`);
    }
  });
});
