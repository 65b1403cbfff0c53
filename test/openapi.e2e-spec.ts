import { spawnSync } from 'node:child_process';
import request from 'supertest';
import { startTestApp, type TestApp } from './support/test-app';

/** Operations a client may call without a token; everything else must show the lock and its 401/403. */
const PUBLIC_OPERATIONS = ['POST /api/v1/auth/login', 'GET /health/live', 'GET /health/ready', 'GET /metrics'];

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
  parameters?: Array<{ name: string; in: string }>;
  requestBody?: { content?: Record<string, { schema?: Schema }> };
  responses: Record<string, { description?: string; content?: Record<string, { schema?: Schema }> }>;
  security?: Array<Record<string, string[]>>;
}

interface OpenApiDocument {
  openapi: string;
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
    });
  });

  it('requires the bearer scheme on every operation but the public ones, and on none of those', () => {
    expect(
      complaints((operation, name) => {
        const bearer = operation.security?.some((requirement) => 'bearer' in requirement) ?? false;
        if (PUBLIC_OPERATIONS.includes(name)) return bearer ? 'public, yet shows the lock' : undefined;
        return bearer ? undefined : 'no bearer security requirement';
      }),
    ).toEqual([]);
  });

  it('lists 401 and 403 on every operation that needs a token', () => {
    expect(
      complaints((operation, name) => {
        if (PUBLIC_OPERATIONS.includes(name)) return undefined;
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
    const byId = operations.filter(({ name }) => name.includes('{id}'));
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
    expect(Object.keys(login.responses).sort()).toEqual(['200', '400', '401', '429']);
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

  it('serves the Swagger UI at /docs', async () => {
    const res = await request(t.http).get('/docs');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.text).toContain('swagger-ui');
  });
});
