import type { NextFunction, Request, Response } from 'express';

/**
 * Refuses a request whose Transfer-Encoding is anything but `chunked` before any handler runs. Node's HTTP parser
 * hands such a request to the app as soon as its headers are read and only then fails on its body with a bare
 * 400 and a closed socket: the handler ran anyway, so the client saw a rejection for a request that took effect
 * (found by the chaos fuzz, docs/reliability.md).
 */
export function rejectUnsupportedTransferEncoding(req: Request, res: Response, next: NextFunction): void {
  const encoding = req.headers['transfer-encoding'];
  if (encoding === undefined || encoding.trim().toLowerCase() === 'chunked') {
    next();
    return;
  }
  res
    .status(400)
    .set('Connection', 'close')
    .json({ statusCode: 400, message: 'Transfer-Encoding must be chunked', error: 'Bad Request' });
}
