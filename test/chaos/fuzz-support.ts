import { createHash } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import Redis from 'ioredis';
import { Client as PgClient } from 'pg';

/** A small seeded PRNG (mulberry32): the same seed gives the same fuzz run. */
export class Rng {
  private state: number;

  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }

  string(max = 12): string {
    const alphabet = 'abcXYZ019 -_./%:;\'"<>{}[]\\\u00e9\u4e2d\u{1f600}\u0000\n';
    const chars = [...alphabet];
    return Array.from({ length: this.int(0, max) }, () => this.pick(chars)).join('');
  }
}

/** The OpenAPI pieces the fuzz reads. */
export interface Schema {
  type?: string;
  format?: string;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  $ref?: string;
  allOf?: Schema[];
  oneOf?: Schema[];
  anyOf?: Schema[];
  nullable?: boolean;
}

export interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required?: boolean;
  schema?: Schema;
}

export interface Operation {
  method: string;
  path: string;
  parameters: Parameter[];
  body?: Schema;
  secured: boolean;
  /** From the 403 answer's description ("Needs privilege N or more"), when the route has one. */
  requiredPrivilege?: number;
  /** The route documents a 502: the monitor it calls could not be reached or refused its credentials. */
  callsMonitor: boolean;
}

interface OpenApiDocument {
  paths: Record<
    string,
    Record<
      string,
      {
        parameters?: Parameter[];
        requestBody?: unknown;
        security?: unknown[];
        responses?: Record<string, { description?: string }>;
      }
    >
  >;
  components?: { schemas?: Record<string, Schema> };
}

/** Every path and method of the document, with its parameters and JSON body schema ($refs resolved). */
export function operationsOf(doc: OpenApiDocument): Operation[] {
  const resolve = (schema: Schema | undefined, depth = 0): Schema | undefined => {
    if (!schema || depth > 8) return schema;
    if (schema.$ref) return resolve(doc.components?.schemas?.[schema.$ref.split('/').pop()!], depth + 1);
    if (schema.allOf?.length) return resolve(schema.allOf[0], depth + 1);
    const resolved: Schema = { ...schema };
    if (schema.properties) {
      resolved.properties = Object.fromEntries(
        Object.entries(schema.properties).map(([name, sub]) => [name, resolve(sub, depth + 1) ?? {}]),
      );
    }
    if (schema.items) resolved.items = resolve(schema.items, depth + 1);
    return resolved;
  };
  const operations: Operation[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      const body = (op.requestBody as { content?: Record<string, { schema?: Schema }> } | undefined)?.content?.[
        'application/json'
      ]?.schema;
      operations.push({
        method: method.toUpperCase(),
        path,
        parameters: (op.parameters ?? []).map((p) => ({ ...p, schema: resolve(p.schema) })),
        body: resolve(body),
        // Behind a user's JWT (the `bearer` scheme); the events route takes a monitor's event token instead, and
        // test/alert-events.e2e-spec.ts holds it to its own 401 and 400.
        secured: (op.security ?? []).some((requirement) => 'bearer' in (requirement as object)),
        requiredPrivilege:
          Number(/privilege (\d)/.exec(op.responses?.['403']?.description ?? '')?.[1] ?? NaN) || undefined,
        callsMonitor: op.responses?.['502'] !== undefined,
      });
    }
  }
  return operations;
}

/** A value the schema accepts, as near as a simple generator gets. */
export function validValue(rng: Rng, schema: Schema | undefined, depth = 0): unknown {
  if (!schema) return rng.string();
  if (schema.enum?.length) return rng.pick(schema.enum);
  switch (schema.type) {
    case 'integer':
    case 'number': {
      const lo = schema.minimum ?? 0;
      const hi = Math.min(schema.maximum ?? lo + 100, lo + 100);
      return rng.int(lo, hi);
    }
    case 'boolean':
      return rng.chance(0.5);
    case 'array':
      return depth > 3 ? [] : Array.from({ length: rng.int(0, 3) }, () => validValue(rng, schema.items, depth + 1));
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const [name, sub] of Object.entries(schema.properties ?? {})) {
        if (schema.required?.includes(name) || rng.chance(0.5)) out[name] = validValue(rng, sub, depth + 1);
      }
      return out;
    }
    default: {
      if (schema.format === 'uri' || /url/i.test(schema.format ?? '')) return 'http://127.0.0.1:9/zabbix';
      if (schema.format === 'ipv4') return '127.0.0.1';
      if (schema.format === 'date-time') return new Date().toISOString();
      const min = schema.minLength ?? 1;
      return `fz-${rng.string(Math.max(min, 8))}`.slice(0, schema.maxLength ?? 64).padEnd(min, 'x');
    }
  }
}

/** A value no schema of a sane API should accept, or an edge one. */
export function badValue(rng: Rng): unknown {
  return rng.pick<() => unknown>([
    () => -1,
    () => 0,
    () => 2 ** 53 + 1,
    () => 1.5,
    () => -0.0001,
    () => '',
    () => ' ',
    () => 'null',
    () => null,
    () => true,
    () => [],
    () => [1, 'a', null],
    () => ({}),
    () => ({ $gt: '' }),
    () => ({ __proto__: { admin: true } }),
    () => '0x10',
    () => '1e3',
    () => 'a'.repeat(rng.int(256, 5000)),
    () => "' OR 1=1 --",
    () => '%00',
    () => '\u0000',
    () => '../../etc/passwd',
    () => '<script>alert(1)</script>',
    () => rng.string(40),
    () => '\ud800',
  ])();
}

/**
 * JSON text of `levels` arrays (2 bytes a level) or arrays and objects (4 on average) inside one another, written as
 * text: JSON.stringify would recurse.
 */
export function deepJson(rng: Rng, levels: number, arraysOnly: boolean): string {
  const opens: string[] = [];
  const closes: string[] = [];
  for (let i = 0; i < levels; i++) {
    const array = arraysOnly || rng.chance(0.5);
    opens.push(array ? '[' : '{"a":');
    closes.push(array ? ']' : '}');
  }
  return `${opens.join('')}1${closes.reverse().join('')}`;
}

/** A path id: valid ones of the seeded rows sometimes, malformed ones mostly. */
export function idValue(rng: Rng, existing: number[]): string {
  if (existing.length && rng.chance(0.3)) return String(rng.pick(existing));
  return rng.pick([
    '0',
    '-1',
    '1.5',
    '1e3',
    '00001',
    '+1',
    ' 1',
    '99999999999999999999999',
    '2147483648',
    '9007199254740993',
    'abc',
    'null',
    'undefined',
    '%00',
    '%2e%2e',
    '%E0%A4%A',
    '%F0%9F%98%80',
    'a'.repeat(300),
    "1'--",
    '1;DROP TABLE users',
    '[1]',
    '{}',
    'NaN',
    'Infinity',
    '0x1f',
  ]);
}

/** What differs between two digests (names only), or [] when they are equal. */
export function changes(before: Map<string, string>, after: Map<string, string>): string[] {
  const names = new Set([...before.keys(), ...after.keys()]);
  return [...names].filter((name) => before.get(name) !== after.get(name));
}

export interface RawResponse {
  status: number;
  text: string;
}

/** One HTTP request with exactly the given headers and body bytes (no client-side validation). */
export function rawRequest(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string>,
  body: Buffer | undefined,
  timeoutMs = 15_000,
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        // A connection per request: a reused one the server had closed would look like a server fault.
        agent: false,
        method,
        path,
        headers: body ? { ...headers, 'Content-Length': String(body.length) } : headers,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

interface SqliteDatabase {
  pragma(text: string): unknown;
  prepare(sql: string): { all(): unknown[] };
  close(): void;
}
type SqliteConstructor = new (file: string, options: { readonly: boolean; fileMustExist: boolean }) => SqliteDatabase;

/**
 * The login limiter's and the quotas' counters: counting a refused attempt is what they are for, so a 401 or a 429
 * that moves them wrote no state of the product.
 */
const COUNTS_OF_REFUSALS = /:(login-fails|quota):/;

/**
 * A digest of everything the service stores (but the counters of refusals): every table's rows (SQLite file or PostgreSQL database) and every
 * key of the private Redis with its size. Equal digests before and after a request: it wrote nothing.
 */
export class StateDigest {
  private constructor(
    private readonly query: (sql: string) => Promise<Record<string, unknown>[]>,
    private readonly kind: 'sqlite' | 'postgres',
    private readonly redis: Redis,
    private readonly closeDb: () => Promise<void>,
  ) {}

  static async open(databaseUrl: string, redisUrl: string): Promise<StateDigest> {
    const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
    if (databaseUrl.startsWith('postgres')) {
      const client = new PgClient({ connectionString: databaseUrl });
      await client.connect();
      return new StateDigest(
        async (sql) => (await client.query(sql)).rows as Record<string, unknown>[],
        'postgres',
        redis,
        () => client.end(),
      );
    }
    // better-sqlite3 (TypeORM's SQLite driver) ships no typings; this is the little of it used here.
    const moduleName = 'better-sqlite3';
    const { default: Database } = (await import(moduleName)) as { default: SqliteConstructor };
    const db = new Database(databaseUrl.replace(/^sqlite:/, ''), { readonly: true, fileMustExist: true });
    db.pragma('busy_timeout = 5000');
    return new StateDigest(
      async (sql) => db.prepare(sql).all() as Record<string, unknown>[],
      'sqlite',
      redis,
      async () => void db.close(),
    );
  }

  async tables(): Promise<string[]> {
    const rows =
      this.kind === 'postgres'
        ? await this.query(
            "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1",
          )
        : await this.query("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY 1");
    return rows.map((row) => String(row.name));
  }

  /** Row counts per table, for the report. */
  async counts(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const table of await this.tables()) {
      const [row] = await this.query(`SELECT COUNT(*) AS n FROM "${table}"`);
      out[table] = Number(row.n);
    }
    return out;
  }

  /** Each table's rows and each Redis key's type and size, hashed per part so a change can be named. */
  async digest(): Promise<Map<string, string>> {
    const parts = new Map<string, string>();
    for (const table of await this.tables()) {
      const hash = createHash('sha256');
      for (const row of await this.query(`SELECT * FROM "${table}" ORDER BY 1`)) hash.update(JSON.stringify(row));
      parts.set(`table ${table}`, hash.digest('hex').slice(0, 16));
    }
    for (const key of (await this.redis.keys('*')).sort()) {
      if (COUNTS_OF_REFUSALS.test(key)) continue;
      const type = await this.redis.type(key);
      const size =
        type === 'list'
          ? await this.redis.llen(key)
          : type === 'zset'
            ? await this.redis.zcard(key)
            : type === 'set'
              ? await this.redis.scard(key)
              : type === 'hash'
                ? await this.redis.hlen(key)
                : type === 'string' && key.endsWith(':id')
                  ? await this.redis.get(key)
                  : 0;
      parts.set(`redis ${key}`, `${type}:${size}`);
    }
    return parts;
  }

  async close(): Promise<void> {
    this.redis.disconnect();
    await this.closeDb();
  }
}
