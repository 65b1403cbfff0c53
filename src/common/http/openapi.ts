import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import type { ResponseObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { STATUS_CODES } from 'node:http';
import { ErrorResponse } from './error-response';

export const DOCS_PATH = 'docs';

export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Nagare task queue')
    .setDescription(
      'Monitor inventory sync as Redis-backed tasks. Log in with POST /api/v1/auth/login, then send ' +
        '`Authorization: Bearer <token>`. Privileges: 1 read, 2 write and run tasks, 3 manage users.',
    )
    .setVersion('1')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
    .build();
  const document = SwaggerModule.createDocument(app, config, { extraModels: [ErrorResponse] });
  describeResponses(document);
  return document;
}

/**
 * Fills in what the decorators leave implicit: every error response gets the shared ErrorResponse schema,
 * and a success response without a description gets its status text.
 */
function describeResponses(document: OpenAPIObject): void {
  const errorSchema = { $ref: '#/components/schemas/ErrorResponse' };
  for (const path of Object.values(document.paths)) {
    for (const operation of Object.values(path) as Array<{ responses?: Record<string, ResponseObject> }>) {
      for (const [code, response] of Object.entries(operation?.responses ?? {})) {
        if (!response.description) response.description = STATUS_CODES[Number(code)] ?? 'Response';
        if (Number(code) >= 400 && !response.content) {
          response.content = { 'application/json': { schema: errorSchema } };
        }
      }
    }
  }
}

/** Swagger UI at /docs and the OpenAPI JSON at /docs-json, both public. */
export function setupOpenApi(app: INestApplication): void {
  SwaggerModule.setup(DOCS_PATH, app, () => buildOpenApiDocument(app), {
    jsonDocumentUrl: `${DOCS_PATH}-json`,
    swaggerOptions: { persistAuthorization: true },
  });
}
