import { spawnSync } from 'node:child_process';
import request from 'supertest';
import { DocumentedResponses } from './support/documented-responses';
import { startTestApp, type TestApp } from './support/test-app';

/** Operations a client may call without a token; everything else must show the lock and its 401/403. */
const PUBLIC_OPERATIONS = ['POST /api/v1/auth/login', 'GET /health/live', 'GET /health/ready', 'GET /metrics'];
/** Outside the JWT guard, yet not public: the monitor's event token (its own security scheme) authenticates it. */
const EVENT_TOKEN_OPERATIONS = ['POST /api/v1/monitors/{id}/events'];

/**
 * Runs `SwaggerParser.validate` in a plain Node process: swagger-parser is CommonJS that require()s the ESM-only
 * json-schema-ref-parser, which Node >= 20.19 allows but Jest's module loader does not.
 */
function validateOpenApi(doc: object): { valid: boolean; errors: string } {
  const script = `
    const SwaggerParser = require('@apidevtools/swagger-parser');
    let input = '';
    process.stdin.on('data', (chunk) => (input += chunk)).on('end', () =>
      SwaggerParser.validate(JSON.parse(input)).then(
        () => process.exit(0),
        (error) => { process.stderr.write(error.message); process.exit(1); },
      ),
    );`;
  const child = spawnSync(process.execPath, ['-e', script], {
    input: JSON.stringify(doc),
    encoding: 'utf8',
    cwd: process.cwd(),
    timeout: 20_000,
  });
  return { valid: child.status === 0, errors: child.stderr };
}

interface Schema {
  $ref?: string;
  type?: string;
  properties?: Record<string, Schema>;
  items?: Schema;
  writeOnly?: boolean;
}

interface Operation {
  operationId?: string;
  summary?: string;
  description?: string;
  parameters?: Array<{ name: string; in: string }>;
  requestBody?: { required?: boolean; content?: Record<string, { schema?: Schema }> };
  responses: Record<
    string,
    { description?: string; content?: Record<string, { schema?: Schema; example?: Record<string, unknown> }> }
  >;
  security?: Array<Record<string, string[]>>;
  tags?: string[];
}

/** The tags in the order a reader meets them: log in, the inventory, the work on it, then operations. */
const TAG_ORDER = [
  'auth',
  'users',
  'monitors',
  'hosts',
  'items',
  'sync',
  'tasks',
  'alerts',
  'queue',
  'webhooks',
  'health',
  'metrics',
];

interface OpenApiDocument {
  openapi: string;
  tags?: Array<{ name: string; description?: string }>;
  paths: Record<string, Record<string, Operation>>;
  components: { securitySchemes?: Record<string, object>; schemas: Record<string, Schema> };
}

describe('OpenAPI document (e2e)', () => {
  let t: TestApp;
  let doc: OpenApiDocument;
  let operations: Array<{ name: string; operation: Operation }>;

  /** `name` for each operation for which `problem` returns a complaint; empty when every operation is fine. */
  const complaints = (problem: (operation: Operation, name: string) => string | undefined) =>
    operations.flatMap(({ name, operation }) => {
      const complaint = problem(operation, name);
      return complaint ? [`${name}: ${complaint}`] : [];
    });

  const schemaOf = (ref: string) => doc.components.schemas[ref.replace('#/components/schemas/', '')];

  beforeAll(async () => {
    t = await startTestApp();
    const res = await request(t.http).get('/docs-json');
    expect(res.status).toBe(200);
    doc = res.body;
    operations = Object.entries(doc.paths).flatMap(([path, byMethod]) =>
      Object.entries(byMethod).map(([method, operation]) => ({ name: `${method.toUpperCase()} ${path}`, operation })),
    );
  });
  afterAll(() => t.close());

  it('is served as JSON at /docs-json and validates as OpenAPI 3', () => {
    expect(doc.openapi).toMatch(/^3\.\d+\.\d+$/);
    expect(validateOpenApi(doc)).toEqual({ valid: true, errors: '' });
  });

  it('is checked by a validator that rejects a broken copy of it (the control for the check above)', () => {
    const broken = structuredClone(doc);
    broken.paths['/api/v1/auth/me'].get.responses['200'].content!['application/json'].schema = {
      $ref: '#/components/schemas/NoSuchSchema',
    };
    const result = validateOpenApi(broken);
    expect(result.valid).toBe(false);
    expect(result.errors).toContain('NoSuchSchema');
  });

  it('describes the operations it must (so the checks below cannot pass on an empty document)', () => {
    expect(operations.map(({ name }) => name)).toEqual(
      expect.arrayContaining([...PUBLIC_OPERATIONS, 'GET /api/v1/auth/me', 'DELETE /api/v1/users/{id}']),
    );
  });

  it('declares the bearer security scheme', () => {
    expect(doc.components.securitySchemes).toEqual({
      bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
      event_token: {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'nge_…',
        description: 'A monitor’s event token (POST /monitors/{id}/event-token)',
      },
    });
    expect(doc.paths['/api/v1/monitors/{id}/events'].post.security).toEqual([{ event_token: [] }]);
  });

  it('requires the bearer scheme on every operation but the public ones, and on none of those', () => {
    expect(
      complaints((operation, name) => {
        const bearer = operation.security?.some((requirement) => 'bearer' in requirement) ?? false;
        if (EVENT_TOKEN_OPERATIONS.includes(name)) {
          return JSON.stringify(operation.security) === '[{"event_token":[]}]' ? undefined : 'not the event token';
        }
        if (PUBLIC_OPERATIONS.includes(name)) return bearer ? 'public, yet shows the lock' : undefined;
        return bearer ? undefined : 'no bearer security requirement';
      }),
    ).toEqual([]);
  });

  it('lists 401 and 403 on every operation that needs a token', () => {
    expect(
      complaints((operation, name) => {
        if (PUBLIC_OPERATIONS.includes(name)) return undefined;
        // An event token has no privileges to lack: 401 only.
        if (EVENT_TOKEN_OPERATIONS.includes(name)) return operation.responses['401'] ? undefined : 'no 401';
        const missing = ['401', '403'].filter((status) => !operation.responses[status]);
        return missing.length ? `no ${missing.join(', ')}` : undefined;
      }),
    ).toEqual([]);
  });

  it('gives every operation a 2xx answer with a description or a schema', () => {
    expect(
      complaints((operation) => {
        const success = Object.entries(operation.responses).filter(([status]) => /^2\d\d$/.test(status));
        if (success.length === 0) return 'no 2xx response';
        const described = success.some(
          ([, response]) => response.description || response.content?.['application/json']?.schema,
        );
        return described ? undefined : 'its 2xx response has neither a description nor a schema';
      }),
    ).toEqual([]);
  });

  it('gives every operation that takes a body a JSON request schema, and a 400 for when it is wrong', () => {
    expect(
      complaints((operation) => {
        if (!operation.requestBody) return undefined;
        if (!operation.requestBody.content?.['application/json']?.schema?.$ref) return 'body without a schema';
        return operation.responses['400'] ? undefined : 'takes a body but lists no 400';
      }),
    ).toEqual([]);
    expect(operations.filter(({ operation }) => operation.requestBody).length).toBeGreaterThanOrEqual(3);
  });

  it('lists 400 and 404 on every operation on one resource by id', () => {
    // But the events route: its event-token guard answers an unknown monitor 401, as it does a wrong token, so a
    // caller without the token cannot tell which monitors exist (test/alert-events.e2e-spec.ts).
    const eventsRoute = 'POST /api/v1/monitors/{id}/events';
    const byId = operations.filter(({ name }) => name.includes('{id}') && name !== eventsRoute);
    expect(doc.paths['/api/v1/monitors/{id}/events'].post.responses).not.toHaveProperty('404');
    expect(byId.length).toBeGreaterThanOrEqual(3);
    expect(
      byId.flatMap(({ name, operation }) =>
        ['400', '404'].filter((status) => !operation.responses[status]).map((status) => `${name}: no ${status}`),
      ),
    ).toEqual([]);
  });

  it('documents the login request and answer as the API sends them', () => {
    const login = doc.paths['/api/v1/auth/login'].post;
    const body = schemaOf(login.requestBody!.content!['application/json'].schema!.$ref!);
    expect(Object.keys(body.properties!).sort()).toEqual(['password', 'username']);
    expect(body.properties!.password.writeOnly).toBe(true);
    const answer = schemaOf(login.responses['200'].content!['application/json'].schema!.$ref!);
    expect(Object.keys(answer.properties!).sort()).toEqual(['expires_in', 'token', 'token_type']);
    expect(Object.keys(login.responses).sort()).toEqual(['200', '400', '401', '413', '429']);
  });

  it('shows no password or password hash in any response schema', () => {
    const seen = new Set<string>();
    const fieldsOf = (schema: Schema | undefined): string[] => {
      if (!schema) return [];
      if (schema.$ref) {
        if (seen.has(schema.$ref)) return [];
        seen.add(schema.$ref);
        return fieldsOf(schemaOf(schema.$ref));
      }
      return [
        ...Object.keys(schema.properties ?? {}),
        ...Object.values(schema.properties ?? {}).flatMap(fieldsOf),
        ...fieldsOf(schema.items),
      ];
    };
    const responseFields = operations.flatMap(({ operation }) =>
      Object.values(operation.responses).flatMap((response) =>
        Object.values(response.content ?? {}).flatMap((media) => fieldsOf(media.schema)),
      ),
    );
    expect(responseFields).toEqual(expect.arrayContaining(['username', 'token']));
    expect(responseFields.filter((field) => /password|hash/i.test(field))).toEqual([]);
  });

  it('names every schema property in snake_case, but for the statusCode of NestJS error shape', () => {
    const offenders = Object.entries(doc.components.schemas).flatMap(([name, schema]) =>
      Object.keys(schema.properties ?? {})
        .filter((property) => !/^[a-z][a-z0-9]*(_[a-z0-9]+)*$/.test(property))
        .map((property) => `${name}.${property}`),
    );
    expect(offenders).toEqual(['ErrorResponse.statusCode']);
  });

  it('gives every error response the shared error schema', () => {
    const missing = complaints((operation) => {
      const bare = Object.entries(operation.responses)
        .filter(([code]) => Number(code) >= 400)
        .filter(
          ([, response]) => !/#\/components\/schemas\/(ErrorResponse|HealthResponse)"/.test(JSON.stringify(response)),
        )
        .map(([code]) => code);
      return bare.length > 0 ? `no error schema for ${bare.join(', ')}` : undefined;
    });
    expect(missing).toEqual([]);
  });

  it('gives every operation a summary and a description, each summary its own', () => {
    expect(
      complaints((operation) => {
        const missing = (['summary', 'description'] as const).filter((field) => !operation[field]?.trim());
        return missing.length ? `no ${missing.join(', ')}` : undefined;
      }),
    ).toEqual([]);
    const summaries = operations.map(({ operation }) => operation.summary);
    expect(new Set(summaries).size).toBe(summaries.length);
  });

  it('describes every tag, lists them in reading order, and tags every operation with one of them', () => {
    expect(doc.tags?.map((tag) => tag.name)).toEqual(TAG_ORDER);
    expect(doc.tags?.filter((tag) => !tag.description?.trim())).toEqual([]);
    expect(complaints((operation) => (operation.tags ?? []).find((tag) => !TAG_ORDER.includes(tag)))).toEqual([]);
  });

  it('shows each status of an operation its own example error, whose statusCode is that status', () => {
    expect(
      complaints((operation) => {
        const examples = Object.entries(operation.responses)
          .filter(([code]) => Number(code) >= 400)
          .flatMap(([code, response]) =>
            Object.values(response.content ?? {}).flatMap((media) =>
              media.example ? [{ code, example: media.example }] : [],
            ),
          );
        const wrong = examples.filter(({ code, example }) => example.statusCode !== Number(code));
        if (wrong.length) return `example statusCode differs from its status on ${wrong.map((w) => w.code).join(', ')}`;
        const messages = examples.map(({ example }) => JSON.stringify(example.message));
        return new Set(messages).size === messages.length ? undefined : `two statuses share a message: ${messages}`;
      }),
    ).toEqual([]);
    const pullAsync = doc.paths['/api/v1/monitors/{id}/hosts/pull-async'].post.responses;
    for (const status of ['400', '401', '403', '404', '409', '413', '422', '429', '503']) {
      expect(pullAsync[status]?.content?.['application/json'].example).toMatchObject({ statusCode: Number(status) });
    }
    expect(pullAsync['429'].content!['application/json'].example).toMatchObject({ retry_after: expect.any(Number) });
  });

  it("shows monitor_id, host_id and item_id in the async routes' 202 answer, as the guide promises", () => {
    const item = doc.paths['/api/v1/monitors/{id}/hosts/{hid}/items/{iid}/pull-async'].post;
    const answer = schemaOf(item.responses['202'].content!['application/json'].schema!.$ref!);
    expect(Object.keys(answer.properties!)).toEqual(
      expect.arrayContaining(['message', 'task_id', 'monitor_id', 'host_id', 'item_id']),
    );
    expect(Object.keys(schemaOf('#/components/schemas/ErrorResponse').properties!)).toContain('retry_after');
  });

  it('lets every async route be called without a body (callback_url is optional)', () => {
    const asyncRoutes = operations.filter(({ name }) => name.endsWith('-async'));
    expect(asyncRoutes.map(({ name }) => name)).toHaveLength(8);
    expect(
      asyncRoutes.filter(({ operation }) => operation.requestBody?.required !== false).map(({ name }) => name),
    ).toEqual([]);
  });

  it('lists 413 on every operation that takes a body', () => {
    expect(
      complaints((operation) => (operation.requestBody && !operation.responses['413'] ? 'no 413' : undefined)),
    ).toEqual([]);
  });

  it('lists 400 on the dead-letter routes that validate their input', () => {
    for (const [path, method] of [
      ['/api/v1/queue/dead', 'get'],
      ['/api/v1/queue/dead/{task_id}', 'get'],
      ['/api/v1/queue/dead/{task_id}', 'delete'],
      ['/api/v1/queue/dead/{task_id}/retry', 'post'],
      ['/api/v1/queue/dead/retry', 'post'],
      ['/api/v1/webhooks/dead', 'get'],
    ]) {
      expect({ route: `${method} ${path}`, has400: Boolean(doc.paths[path][method].responses['400']) }).toEqual({
        route: `${method} ${path}`,
        has400: true,
      });
    }
  });

  it('marks the public operations `security: []` and gives every other one the bearer scheme', () => {
    expect(
      complaints((operation, name) =>
        PUBLIC_OPERATIONS.includes(name) && JSON.stringify(operation.security) !== '[]' ? 'no security: []' : undefined,
      ),
    ).toEqual([]);
  });

  it('documents /metrics with the content types it really answers with', async () => {
    const metrics = doc.paths['/metrics'].get.responses;
    const res = await request(t.http).get('/metrics');
    expect(Object.keys(metrics['200'].content!)).toEqual([res.headers['content-type']]);
    expect(Object.keys(metrics['401'].content!)).toEqual(['application/json']);
  });

  it('has a response check (test/support) that catches an undocumented status and a body off its schema', async () => {
    const documented = await DocumentedResponses.watch(t.http, (copy) => {
      delete copy.paths['/api/v1/auth/me'].get.responses['401'];
      const tokenSchema = copy.components as { schemas: Record<string, { required?: string[] }> };
      tokenSchema.schemas.TokenResponse.required?.push('refresh_token');
    });
    await request(t.http).get('/api/v1/auth/me');
    await t.login();
    await request(t.http).get('/api/v1/queue/stats');
    // The 401 of /queue/stats is documented and passes: only the two planted mismatches are reported.
    expect(documented.problems()).toEqual([
      expect.stringMatching(/^get \/api\/v1\/auth\/me -> 401: status not documented/),
      expect.stringMatching(/^post \/api\/v1\/auth\/login -> 200: body .* breaks the schema: .*refresh_token/),
    ]);
    expect(documented.checked).toBe(3);
  });

  it('serves the Swagger UI at /docs', async () => {
    const res = await request(t.http).get('/docs');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.text).toContain('swagger-ui');
  });
});
