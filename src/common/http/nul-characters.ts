import type { NextFunction, Request, Response } from 'express';

/**
 * Refuses a body or query string carrying the NUL character (U+0000) in any text, naming the field. PostgreSQL
 * cannot store it in text ("invalid byte sequence for encoding UTF8: 0x00") and would fail the query with a 500;
 * no field of this API has a use for it (found by the chaos fuzz, docs/reliability.md).
 */
export function rejectNulCharacters(req: Request, res: Response, next: NextFunction): void {
  const field = firstNul(req.body) ?? (mayHoldNul(req.url) ? firstNul(req.query) : undefined);
  if (field === undefined) {
    next();
    return;
  }
  res.status(400).json({
    statusCode: 400,
    message: `${field || 'the body'} must not contain the NUL character (\\u0000)`,
    error: 'Bad Request',
  });
}

/**
 * Whether the query string parsed from this URL can hold U+0000: only through a percent escape (%00, or qs's %u0000)
 * or the character itself. Most URLs have neither, and then the query is not parsed here (Express parses it anew on
 * every read of req.query).
 */
function mayHoldNul(url: string | undefined): boolean {
  return url === undefined || url.includes('%') || url.includes('\u0000');
}

/** The dotted path of the first key or string holding U+0000 (walked without recursion: bodies nest deep). */
function firstNul(root: unknown): string | undefined {
  const stack: [unknown, string][] = [[root, '']];
  while (stack.length > 0) {
    const [value, path] = stack.pop()!;
    if (typeof value === 'string') {
      if (value.includes('\u0000')) return path;
    } else if (value !== null && typeof value === 'object') {
      for (const [key, child] of Object.entries(value)) {
        const childPath = path ? `${path}.${key}` : key;
        if (key.includes('\u0000')) return childPath;
        stack.push([child, childPath]);
      }
    }
  }
  return undefined;
}
