import type { NextFunction, Request, RequestHandler, Response } from 'express';
import helmet from 'helmet';

/**
 * The Content-Security-Policy of every response, strict enough for the two HTML pages the service serves (Swagger
 * UI at /docs, Bull Board at /admin/queues): their scripts, styles, images and API calls all come from this origin.
 * Inline styles stay allowed (both pages use style attributes and <style> blocks), inline scripts do not.
 *
 * helmet's defaults differ in three places: no `https:` source for styles and fonts (a page must never fetch from
 * an outside host, which an air-gapped operator's browser would hang on), framing refused altogether
 * (`frame-ancestors 'none'`), and no `upgrade-insecure-requests`, which would make a browser fetch the pages'
 * own files over HTTPS when the service is reached over plain HTTP inside a cluster, and so break both pages.
 */
const CONTENT_SECURITY_POLICY = {
  useDefaults: false,
  directives: {
    'default-src': ["'self'"],
    'base-uri': ["'self'"],
    'connect-src': ["'self'"],
    'font-src': ["'self'", 'data:'],
    'form-action': ["'self'"],
    'frame-ancestors': ["'none'"],
    'img-src': ["'self'", 'data:'],
    'object-src': ["'none'"],
    'script-src': ["'self'"],
    'script-src-attr': ["'none'"],
    'style-src': ["'self'", "'unsafe-inline'"],
  },
};

/** helmet on every response: CSP, nosniff, X-Frame-Options DENY, HSTS, no X-Powered-By, and the rest of its set. */
export function securityHeaders(): RequestHandler {
  return helmet({ contentSecurityPolicy: CONTENT_SECURITY_POLICY, xFrameOptions: { action: 'deny' } });
}

/**
 * `Cache-Control: no-store` on every API answer unless its route sets its own: the login's token, a user's data,
 * a task's result must never be kept by a browser or a shared proxy. Set before the route runs, so a route (or
 * the SSE stream) that sets another value wins.
 */
export function noStore(_req: Request, res: Response, next: NextFunction): void {
  res.setHeader('Cache-Control', 'no-store');
  next();
}
