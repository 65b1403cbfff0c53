import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import type {
  OperationObject,
  ParameterObject,
  ResponseObject,
} from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { STATUS_CODES } from 'node:http';
import { TASK_TYPES } from '../task-type-names';
import { ErrorResponse, errorExample } from './error-response';
import { OPERATION_TEXTS } from './openapi-operations';
import { OPENAPI_TAGS } from './openapi-tags';

export const DOCS_PATH = 'docs';

const ERROR_SCHEMA_REF = '#/components/schemas/ErrorResponse';

export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Nagare task queue')
    .setDescription(
      'Monitor inventory sync as Redis-backed tasks. Log in with POST /api/v1/auth/login, then send ' +
        '`Authorization: Bearer <token>`. Privileges: 1 read, 2 write and run tasks, 3 manage users.',
    )
    .setVersion('1')
    .setLicense('MIT', 'https://opensource.org/licenses/MIT')
    .addServer('/', 'This service (paths are absolute: /api/v1/..., /health, /metrics)')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
    // POST /monitors/{id}/events: the monitor's own event token, not a user's JWT.
    .addBearerAuth(
      {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'nge_…',
        description: 'A monitor’s event token (POST /monitors/{id}/event-token)',
      },
      'event_token',
    )
    .build();
  const document = SwaggerModule.createDocument(app, config, { extraModels: [ErrorResponse] });
  document.tags = [...OPENAPI_TAGS];
  for (const [path, byMethod] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(byMethod) as Array<[string, OperationObject]>) {
      if (typeof operation !== 'object' || !operation?.responses) continue;
      describeOperation(`${method.toUpperCase()} ${path}`, operation);
    }
  }
  return document;
}

/**
 * Fills in what the decorators leave implicit: the summary and description from OPERATION_TEXTS, `security: []`
 * on the public operations (none of them needs the bearer token), a 413 on every operation that takes a body,
 * and on every error the shared ErrorResponse schema with an example of that status's own answer.
 */
function describeOperation(key: string, operation: OperationObject): void {
  const text = OPERATION_TEXTS[key];
  if (text) Object.assign(operation, text);
  operation.security ??= [];
  // A controller-level decorator shares one response object between its operations: give each its own copy.
  const responses = structuredClone(operation.responses) as Record<string, ResponseObject>;
  operation.responses = responses;
  if (operation.requestBody && !responses['413']) {
    responses['413'] = { description: 'The body is larger, deeper or wider than the JSON limits allow' };
  }
  for (const [code, response] of Object.entries(responses)) {
    const status = Number(code);
    if (!response.description) response.description = STATUS_CODES[status] ?? 'Response';
    if (status < 400) continue;
    response.content ??= { 'application/json': { schema: { $ref: ERROR_SCHEMA_REF } } };
    for (const media of Object.values(response.content)) {
      if (media.schema && '$ref' in media.schema && media.schema.$ref === ERROR_SCHEMA_REF) {
        media.example ??= errorExample(status, routeMessage(status, key, operation));
      }
    }
  }
}

/** The 400, 404 and a few others depend on the route; the other statuses' examples are the same everywhere. */
function routeMessage(status: number, key: string, operation: OperationObject): string | string[] | undefined {
  if (status === 400) return badRequestMessage(key, operation);
  if (status === 404) return notFoundMessage(key);
  if (status === 422 && key.endsWith('/push')) {
    return 'Monitor API error in host.create: Invalid params. Incorrect value for field "name": cannot be empty.';
  }
  if (status === 409 && key === 'DELETE /api/v1/tasks/{task_id}') {
    return 'Task pull_hosts:42 is active: only a waiting or delayed task can be cancelled';
  }
  const deleted = /^DELETE \/api\/v1\/(hosts|items)\/\{id\}$/.exec(key)?.[1];
  if (status === 409 && deleted) {
    return (
      `${deleted === 'hosts' ? 'Host' : 'Item'} 42 is on monitor 1 (id 10584 there) and would come back with the ` +
      `next pull: DELETE /${deleted}/42?on_monitor=true deletes it on the monitor, then here`
    );
  }
  return undefined;
}

/** The 404 of the resource the path names first (an async route checks its monitor first). */
function notFoundMessage(key: string): string {
  if (key.includes('/queue/dead/')) return 'Dead letter pull_hosts:42 not found';
  if (key.includes('/tasks/')) return 'Task pull_hosts:42 not found';
  const resource = /\/api\/v1\/(users|monitors|hosts|items|alerts)\//.exec(key)?.[1];
  const noun = { users: 'User', monitors: 'Monitor', hosts: 'Host', items: 'Item', alerts: 'Alert' }[resource ?? ''];
  return noun ? `${noun} 42 not found` : 'Not Found';
}

/** A 400 message this operation really answers: for its path id, its body or its query, in that order. */
function badRequestMessage(key: string, operation: OperationObject): string | string[] {
  if (key.includes('{task_id}')) return 'task_id must be <type>:<number>, e.g. pull_hosts:42';
  if (key.includes('{type}')) return `type must be one of: ${TASK_TYPES.join(', ')}`;
  const id = /\{(\w+)\}/.exec(key)?.[1];
  if (id) return `${id} must be a positive integer`;
  if (key === 'POST /api/v1/auth/login') return ['username must be a string'];
  if (key.endsWith('-async')) return ['callback_url must be an http or https URL'];
  if (operation.requestBody) return ['property extra should not exist'];
  const query = (operation.parameters ?? []).filter((p) => 'in' in p && p.in === 'query') as ParameterObject[];
  const bounded = query.find((p) => p.schema && 'maximum' in p.schema && p.schema.maximum !== undefined);
  if (bounded?.schema && 'maximum' in bounded.schema) {
    return [`${bounded.name} must not be greater than ${bounded.schema.maximum}`];
  }
  return 'Bad Request';
}

/** Swagger UI at /docs and the OpenAPI JSON at /docs-json, both public. */
export function setupOpenApi(app: INestApplication): void {
  SwaggerModule.setup(DOCS_PATH, app, () => buildOpenApiDocument(app), {
    jsonDocumentUrl: `${DOCS_PATH}-json`,
    // No validator badge: it would fetch an image from validator.swagger.io, an outside host.
    swaggerOptions: { persistAuthorization: true, validatorUrl: null },
  });
}
