import Ajv, { type ValidateFunction } from 'ajv';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import request from 'supertest';

interface MediaType {
  schema?: { required?: string[] };
}
export interface OpenApiDocument {
  paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, MediaType> }> }>>;
  components: object;
}

/** One answer the service sent during a suite, as the client saw it. */
interface SentResponse {
  method: string;
  url: string;
  status: number;
  contentType: string;
  body: string;
}

/**
 * Checks every answer a suite's service sends against its own OpenAPI document (/docs-json): the status must be
 * documented for that operation, and a JSON body must validate against the schema documented for that status.
 * `watch(t.http)` in beforeAll records every response of the server; `problems()` in afterAll lists the
 * mismatches, so every status a suite exercises is checked without a call per request.
 */
export class DocumentedResponses {
  private readonly sent: SentResponse[] = [];
  private readonly validators = new Map<string, ValidateFunction>();
  private readonly ajv = new Ajv({ strict: false, validateFormats: false, allErrors: true });
  private readonly templates: Array<{ path: string; pattern: RegExp; params: number }>;

  private constructor(private readonly doc: OpenApiDocument) {
    this.ajv.addSchema({ $id: 'openapi', components: doc.components });
    this.templates = Object.keys(doc.paths)
      .map((path) => ({
        path,
        pattern: new RegExp(`^${path.replace(/\{[^}]+\}/g, '[^/]+')}$`),
        params: (path.match(/\{/g) ?? []).length,
      }))
      .sort((a, b) => a.params - b.params);
  }

  /**
   * Reads the document from the server, then records every response it sends from now on. `edit` changes the
   * document first: only the OpenAPI suite's control uses it, to show that a mismatch is caught.
   */
  static async watch(http: Server, edit?: (doc: OpenApiDocument) => void): Promise<DocumentedResponses> {
    const res = await request(http).get('/docs-json');
    if (res.status !== 200) throw new Error(`/docs-json answered ${res.status}`);
    edit?.(res.body as OpenApiDocument);
    const documented = new DocumentedResponses(res.body as OpenApiDocument);
    http.prependListener('request', (req: IncomingMessage, out: ServerResponse) => documented.record(req, out));
    return documented;
  }

  /** How many responses were recorded on documented operations (so a suite can show the check ran). */
  get checked(): number {
    return this.sent.filter((sent) => this.operationOf(sent)).length;
  }

  /** Every recorded response that its operation does not document, or whose body breaks the documented schema. */
  problems(): string[] {
    return this.sent.flatMap((sent) => {
      const problem = this.problemWith(sent);
      return problem ? [`${sent.method} ${sent.url} -> ${sent.status}: ${problem}`] : [];
    });
  }

  private record(req: IncomingMessage, out: ServerResponse): void {
    const chunks: Buffer[] = [];
    const write = out.write.bind(out) as (...args: unknown[]) => boolean;
    const end = out.end.bind(out) as (...args: unknown[]) => ServerResponse;
    const keep = (chunk: unknown) => {
      if (typeof chunk === 'string' || chunk instanceof Uint8Array) chunks.push(Buffer.from(chunk));
    };
    out.write = ((chunk: unknown, ...rest: unknown[]) => (keep(chunk), write(chunk, ...rest))) as typeof out.write;
    out.end = ((chunk: unknown, ...rest: unknown[]) => {
      if (typeof chunk !== 'function') keep(chunk);
      return end(chunk, ...rest);
    }) as typeof out.end;
    out.once('finish', () =>
      this.sent.push({
        method: (req.method ?? 'GET').toLowerCase(),
        url: req.url ?? '/',
        status: out.statusCode,
        contentType: String(out.getHeader('content-type') ?? ''),
        body: Buffer.concat(chunks).toString('utf8'),
      }),
    );
  }

  private operationOf(sent: SentResponse) {
    const path = sent.url.split('?')[0];
    const template = this.templates.find(({ pattern }) => pattern.test(path));
    const operation = template && this.doc.paths[template.path][sent.method];
    return operation && template ? { operation, path: template.path } : undefined;
  }

  private problemWith(sent: SentResponse): string | undefined {
    const found = this.operationOf(sent);
    if (!found) return undefined; // not an API operation (Swagger UI, Bull Board, an unknown path's 404)
    const response = found.operation.responses[String(sent.status)];
    if (!response) return `status not documented (documented: ${Object.keys(found.operation.responses).join(', ')})`;
    if (!sent.body || !sent.contentType.startsWith('application/json')) return undefined;
    const schema = response.content?.['application/json']?.schema;
    if (!schema) return `JSON body, but no JSON schema documented (${Object.keys(response.content ?? {}).join(', ')})`;
    const validate = this.validatorFor(`${sent.method} ${found.path} ${sent.status}`, schema);
    if (validate(JSON.parse(sent.body))) return undefined;
    return `body ${sent.body.slice(0, 200)} breaks the schema: ${this.ajv.errorsText(validate.errors)}`;
  }

  private validatorFor(key: string, schema: object): ValidateFunction {
    let validate = this.validators.get(key);
    if (!validate) {
      const rooted = JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"openapi#/components/'));
      validate = this.ajv.compile(rooted);
      this.validators.set(key, validate);
    }
    return validate;
  }
}
