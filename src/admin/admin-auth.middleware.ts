import { HttpStatus } from '@nestjs/common';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { DashboardAccess, DashboardAuth } from './dashboard-auth.service';

/** The challenge that makes a browser ask for a username and password. */
export const DASHBOARD_CHALLENGE = 'Basic realm="Nagare dashboard", charset="UTF-8"';

/**
 * Express middleware in front of every path of the dashboard (its page, files and JSON API). Nest's global
 * bearer guard only sees controller routes, not what a module mounts as middleware, so the dashboard checks its
 * visitors here: 401 with a Basic challenge for anonymous or bad credentials, 403 below the dashboard's privilege,
 * 429 while the client is locked out; errors in the API's `{statusCode, message, error}` shape. The user let in is
 * left on `res.locals.dashboardUser` for what comes after.
 */
export function dashboardAuthMiddleware(auth: DashboardAuth): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    auth
      .check(req.headers.authorization, req.ip ?? req.socket.remoteAddress ?? 'unknown')
      .then((access) => {
        if (access.outcome === 'allowed') {
          // Never cached by a browser or a proxy: the next visitor must log in again.
          res.setHeader('Cache-Control', 'no-store');
          res.locals.dashboardUser = access.user;
          next();
          return;
        }
        refuse(res, access);
      })
      .catch(next);
  };
}

function refuse(res: Response, access: Exclude<DashboardAccess, { outcome: 'allowed' }>): void {
  switch (access.outcome) {
    case 'unauthenticated':
      res.setHeader('WWW-Authenticate', DASHBOARD_CHALLENGE);
      send(res, HttpStatus.UNAUTHORIZED, access.message, 'Unauthorized');
      return;
    case 'forbidden':
      send(res, HttpStatus.FORBIDDEN, access.message, 'Forbidden');
      return;
    case 'limited':
      res.setHeader('Retry-After', String(access.retryAfterSeconds));
      send(
        res,
        HttpStatus.TOO_MANY_REQUESTS,
        `Too many failed logins; try again in ${access.retryAfterSeconds} s`,
        'Too Many Requests',
      );
      return;
  }
}

function send(res: Response, statusCode: number, message: string, error: string): void {
  res.setHeader('Cache-Control', 'no-store');
  res.status(statusCode).json({ statusCode, message, error });
}
