import type { NextFunction, Request, RequestHandler, Response } from 'express';

/** A <link> to another host: Bull Board's page links its fonts from Google Fonts. */
const OUTSIDE_LINK = /<link\b[^>]*\bhref\s*=\s*["']?(?:https?:)?\/\/[^>]*>\s*/gi;

/** The page's HTML without links to other hosts; its stylesheet falls back to the system fonts. */
export function withoutOutsideLinks(html: string): string {
  return html.replace(OUTSIDE_LINK, '');
}

/**
 * Serves Bull Board's page without any request to another host: an air-gapped operator's browser would wait on
 * the font CDN, and the Content-Security-Policy refuses it anyway. Bull Board renders its page with res.render,
 * so this middleware, in front of the board, hands the rendered HTML through withoutOutsideLinks first.
 */
export function offlineDashboardPage(): RequestHandler {
  return (_req: Request, res: Response, next: NextFunction) => {
    const render = res.render.bind(res);
    res.render = (view: string, options?: object | RenderCallback, callback?: RenderCallback) => {
      const locals = typeof options === 'function' ? {} : (options ?? {});
      const done = typeof options === 'function' ? options : callback;
      render(view, locals, (error, html) => {
        const page = typeof html === 'string' ? withoutOutsideLinks(html) : html;
        if (done) done(error, page);
        else if (error) next(error);
        else res.send(page);
      });
    };
    next();
  };
}

type RenderCallback = (error: Error, html: string) => void;
