import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { DiscoveryService, MetadataScanner, ModulesContainer } from '@nestjs/core';
import { METHODS } from 'node:http';
import request from 'supertest';
import { IS_PUBLIC } from '../src/auth/decorators';
import { startTestApp, type TestApp } from './support/test-app';

/**
 * The endpoint-permission snapshot (conventions.md, item 5): every route the app mounts is either in this
 * allowlist or answers 401 without a bearer token. A new public route must be added here, on purpose.
 */
const PUBLIC_ROUTES = [
  'POST /api/v1/auth/login',
  'GET /health/live',
  'GET /health/ready',
  'GET /metrics',
  // Outside the JWT guard: authenticated by the monitor's own event token (EventTokenGuard), 401 without it.
  'POST /api/v1/monitors/:id/events',
  // Served by SwaggerModule, outside Nest's controllers:
  'GET /docs',
  'GET /docs-json',
];

/** Nest controller routes left outside the /api/v1 prefix (what probes call). */
const UNPREFIXED_ROUTES = ['GET /health/live', 'GET /health/ready', 'GET /metrics'];

/**
 * The queue dashboard (src/admin): Bull Board's Express router, mounted as middleware by its module and so outside
 * Nest's controllers and the global bearer guard. Its own middleware, mounted before it at the same path,
 * authenticates every visitor (Basic or bearer credentials of a user; privilege 2 for its actions).
 */
const DASHBOARD_MOUNT = '/admin/queues';
/** What configure-http.ts excludes from the prefix for it; Nest mounts its not-found handler there. */
const DASHBOARD_EXCLUDED = '/admin/queues{/*path}';
const DASHBOARD_PATHS = ['/admin/queues', '/admin/queues/', '/admin/queues/api/queues', '/admin/queues/queue/dead'];

/** The rest of what SwaggerModule mounts beside /docs and /docs-json: the UI's own files and the YAML form. */
const isSwaggerAsset = (route: string) => /^GET \/docs(\/|-yaml$)/.test(route);

const sorted = (routes: Iterable<string>) => [...new Set(routes)].sort();

interface ExpressLayer {
  route?: { path: string; methods: Record<string, boolean> };
}

/** `METHOD /path` for every route mounted on Express, whoever mounted it; `ALL /path` for a catch-all. */
function expressRoutes(t: TestApp): string[] {
  const express = t.app.getHttpAdapter().getInstance() as { router: { stack: ExpressLayer[] } };
  return express.router.stack.flatMap(({ route }) => {
    if (!route) return []; // middleware, not a route
    const methods = Object.keys(route.methods);
    const catchAll = METHODS.every((method) => methods.includes(method.toLowerCase()));
    if (!catchAll) return methods.map((method) => `${method.toUpperCase()} ${route.path}`);
    // Nest mounts its not-found handler on every method of each path excluded from the prefix.
    const excluded =
      route.path === DASHBOARD_EXCLUDED ||
      UNPREFIXED_ROUTES.some((unprefixed) => unprefixed.endsWith(` ${route.path}`));
    return excluded ? [] : [`ALL ${route.path}`];
  });
}

/** The paths Express middleware is mounted at (not `/`), whoever mounted it. */
function middlewareMounts(t: TestApp): string[] {
  const express = t.app.getHttpAdapter().getInstance() as {
    router: { stack: (ExpressLayer & { rawPath?: unknown })[] };
  };
  return express.router.stack.flatMap(({ route, rawPath }) =>
    !route && typeof rawPath === 'string' && rawPath !== '/' ? [rawPath] : [],
  );
}

interface NestRoute {
  /** `METHOD /controller/handler`, without the global prefix. */
  route: string;
  isPublic: boolean;
}

/** Every handler Nest's own metadata declares on every controller of the app. */
function nestRoutes(t: TestApp): NestRoute[] {
  const discovery = new DiscoveryService(t.app.get(ModulesContainer));
  const scanner = new MetadataScanner();
  const join = (...parts: string[]) =>
    '/' +
    parts
      .flatMap((part) => part.split('/'))
      .filter(Boolean)
      .join('/');
  return discovery.getControllers().flatMap(({ metatype }) => {
    if (!metatype) return [];
    const controllerPaths = [Reflect.getMetadata(PATH_METADATA, metatype) ?? '/'].flat() as string[];
    const classIsPublic = Reflect.getMetadata(IS_PUBLIC, metatype) === true;
    return scanner.getAllMethodNames(metatype.prototype).flatMap((name) => {
      const handler = metatype.prototype[name];
      const paths = Reflect.getMetadata(PATH_METADATA, handler);
      const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
      if (paths === undefined || method === undefined) return [];
      const isPublic = classIsPublic || Reflect.getMetadata(IS_PUBLIC, handler) === true;
      return controllerPaths.flatMap((base) =>
        ([paths].flat() as string[]).map((path) => ({
          route: `${RequestMethod[method]} ${join(base, path)}`,
          isPublic,
        })),
      );
    });
  });
}

/** `METHOD /path` for every operation in the OpenAPI document, with `{param}` written as Express's `:param`. */
function documentedRoutes(doc: { paths: Record<string, object> }): string[] {
  return Object.entries(doc.paths).flatMap(([path, operations]) =>
    Object.keys(operations).map((method) => `${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`),
  );
}

/** The request a client would send: path parameters become `1`. */
function send(t: TestApp, route: string) {
  const [method, path] = route.split(' ');
  const verb = (method === 'ALL' ? 'get' : method.toLowerCase()) as 'get' | 'post' | 'patch' | 'put' | 'delete';
  return request(t.http)[verb](path.replace(/:\w+/g, '1'));
}

describe('route guard (e2e)', () => {
  let t: TestApp;
  let mounted: string[];
  let fromNest: NestRoute[];
  let documented: string[];

  beforeAll(async () => {
    t = await startTestApp();
    mounted = sorted(expressRoutes(t));
    fromNest = nestRoutes(t);
    documented = sorted(documentedRoutes((await request(t.http).get('/docs-json')).body));
  });
  afterAll(() => t.close());

  it('finds the routes it must judge (so an empty walk cannot pass)', () => {
    expect(mounted).toEqual(expect.arrayContaining(['POST /api/v1/auth/login', 'GET /api/v1/users/:id']));
    expect(fromNest.length).toBeGreaterThanOrEqual(9);
  });

  it('mounts every Nest route under /api/v1, except the health probes at the root', () => {
    const expected = fromNest.map(({ route }) => {
      if (UNPREFIXED_ROUTES.includes(route)) return route;
      const [method, path] = route.split(' ');
      return `${method} /api/v1${path}`;
    });
    const mountedByNest = mounted.filter((route) => !route.startsWith('GET /docs'));
    expect(mountedByNest).toEqual(sorted(expected));
  });

  it('mounts nothing outside Nest controllers but the Swagger UI and its documents', () => {
    const fromControllers = new Set(fromNest.map(({ route }) => route));
    const others = mounted.filter(
      (route) => !fromControllers.has(route) && !fromControllers.has(route.replace(' /api/v1', ' ')),
    );
    expect(others).toEqual(expect.arrayContaining(['GET /docs', 'GET /docs-json']));
    expect(
      others.filter((route) => !['GET /docs', 'GET /docs-json'].includes(route) && !isSwaggerAsset(route)),
    ).toEqual([]);
  });

  it('documents every mounted API route in the OpenAPI document, and documents no route that is not mounted', () => {
    const apiRoutes = mounted.filter((route) => !route.startsWith('GET /docs'));
    expect(documented).toEqual(apiRoutes);
  });

  it('marks exactly the allowlisted controller routes @Public()', () => {
    const marked = fromNest
      .filter(({ isPublic }) => isPublic)
      .map(({ route }) => (UNPREFIXED_ROUTES.includes(route) ? route : route.replace(' /', ' /api/v1/')));
    expect(sorted(marked)).toEqual(sorted(PUBLIC_ROUTES.filter((route) => !route.startsWith('GET /docs'))));
  });

  it('answers without a token exactly on the allowlisted routes, and 401 with a Bearer challenge everywhere else', async () => {
    const answers: Array<{ route: string; res: request.Response }> = [];
    for (const route of mounted.filter((route) => !isSwaggerAsset(route)))
      answers.push({ route, res: await send(t, route) });

    // Open: the user's bearer guard let it through (the events route's own guard answers 401 with its own challenge).
    const byBearerGuard = (res: request.Response) =>
      res.status === 401 && res.headers['www-authenticate'] === 'Bearer realm="nagare"';
    const open = answers.filter(({ res }) => !byBearerGuard(res)).map(({ route }) => route);
    expect(sorted(open)).toEqual(sorted(PUBLIC_ROUTES));
    for (const { route, res } of answers.filter(({ route }) => !PUBLIC_ROUTES.includes(route))) {
      expect({ route, status: res.status, challenge: res.headers['www-authenticate'] }).toEqual({
        route,
        status: 401,
        challenge: 'Bearer realm="nagare"',
      });
    }
  });

  it("mounts middleware at a path only for the Swagger UI files, Nest's own handlers under /api/v1 and the dashboard", () => {
    expect(sorted(middlewareMounts(t))).toEqual(sorted(['/api/v1', '/docs', DASHBOARD_MOUNT]));
  });

  it('guards the dashboard, outside the bearer guard, with its own middleware: 401 and a Basic challenge', async () => {
    for (const path of DASHBOARD_PATHS) {
      for (const verb of ['get', 'post', 'put', 'delete'] as const) {
        const res = await request(t.http)[verb](path);
        expect({ verb, path, status: res.status, challenge: res.headers['www-authenticate'] }).toEqual({
          verb,
          path,
          status: 401,
          challenge: expect.stringMatching(/^Basic realm="Nagare dashboard"/),
        });
      }
    }
  });

  it('serves the allowlisted routes without a token', async () => {
    const statuses: Array<[string, number]> = [];
    for (const route of PUBLIC_ROUTES) statuses.push([route, (await send(t, route)).status]);
    // Login without a body is a 400: it got past the guard to validation.
    expect(Object.fromEntries(statuses)).toEqual({
      'POST /api/v1/auth/login': 400,
      'GET /health/live': 200,
      'GET /health/ready': 200,
      'GET /metrics': 200,
      // Past the JWT guard to the event-token guard, whose 401 an unknown monitor (1 here) gets as a wrong token does
      // (test/alert-events.e2e-spec.ts holds its messages).
      'POST /api/v1/monitors/:id/events': 401,
      'GET /docs': 200,
      'GET /docs-json': 200,
    });
  });
});
