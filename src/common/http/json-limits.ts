import type { IncomingMessage, ServerResponse } from 'node:http';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const OPEN_OBJECT = 0x7b;
const CLOSE_ARRAY = 0x5d;
const CLOSE_OBJECT = 0x7d;
const COMMA = 0x2c;
const COLON = 0x3a;
const SPACE = 0x20;
const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;

export interface JsonLimits {
  /** Arrays and objects inside one another (server.json_max_depth). */
  maxDepth: number;
  /** Object members and array elements, at every level together (server.json_max_values). */
  maxValues: number;
}

/**
 * Which limit JSON text (UTF-8 bytes) breaks first, if any. One pass over the bytes, no recursion, no parse: it stops
 * at the first bracket or value past a limit, and reads a 1 MB body to its end in a few ms. Brackets and separators
 * inside strings do not count. Malformed text is not judged here: JSON.parse refuses it next.
 */
export function exceededJsonLimit(bytes: Uint8Array, limits: JsonLimits): keyof JsonLimits | undefined {
  let depth = 0;
  let values = 0;
  let inString = false;
  let arrayJustOpened = false;
  // Whether each open level is an array; never deeper than maxDepth + 1.
  const isArray: boolean[] = [];
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i];
    if (inString) {
      if (byte === BACKSLASH) i++;
      else if (byte === QUOTE) inString = false;
      continue;
    }
    if (byte === SPACE || byte === LF || byte === CR || byte === TAB) continue;
    // An array's first element has no comma before it.
    if (arrayJustOpened && byte !== CLOSE_ARRAY) values++;
    arrayJustOpened = false;
    if (byte === QUOTE) {
      inString = true;
    } else if (byte === OPEN_ARRAY || byte === OPEN_OBJECT) {
      if (++depth > limits.maxDepth) return 'maxDepth';
      isArray[depth] = arrayJustOpened = byte === OPEN_ARRAY;
    } else if (byte === CLOSE_ARRAY || byte === CLOSE_OBJECT) {
      depth--;
    } else if (byte === COLON || (byte === COMMA && isArray[depth])) {
      values++;
    }
    if (values > limits.maxValues) return 'maxValues';
  }
  return undefined;
}

/** An error body-parser passes on with this status and type instead of its own 403. */
class BodyRefused extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * body-parser's `verify` hook, which sees the body's bytes (inflated, not yet decoded or parsed): refuses a body past
 * a limit with a 400 naming it. Without it a 1 MB login body of 500,000 nested arrays took JSON.parse about 100 ms
 * and then overflowed class-transformer's recursion in the validation pipe: a 500 after about 3 s of a blocked event
 * loop. A 1 MB body of 300,000 flat values blocked it as long in class-transformer and class-validator, for a 400
 * (docs/reliability.md). No request body of this API holds more than a few fields.
 *
 * UTF-16 text is decoded first; any other charset but UTF-8 is refused with a 415 (RFC 8259 wants UTF-8), as UTF-7
 * may spell a bracket as letters that no byte scan would see.
 */
export function refuseOversizedJson(limits: JsonLimits) {
  return (_req: IncomingMessage, _res: ServerResponse, body: Buffer, encoding: string | null): void => {
    const exceeded = exceededJsonLimit(utf8Of(body, encoding), limits);
    if (exceeded === 'maxDepth') {
      throw new BodyRefused(
        400,
        'entity.too.deep',
        `the JSON body nests deeper than ${limits.maxDepth} levels of arrays and objects (server.json_max_depth)`,
      );
    }
    if (exceeded === 'maxValues') {
      throw new BodyRefused(
        400,
        'entity.too.wide',
        `the JSON body holds more than ${limits.maxValues} values (server.json_max_values)`,
      );
    }
  };
}

function utf8Of(body: Buffer, encoding: string | null): Uint8Array {
  const charset = (encoding ?? 'utf-8').toLowerCase();
  if (charset === 'utf-8' || charset === 'utf8') return body;
  if (/^utf-16(le|be)?$/.test(charset)) return Buffer.from(new TextDecoder(charset).decode(body), 'utf8');
  throw new BodyRefused(415, 'charset.unsupported', `unsupported charset "${charset.toUpperCase()}"; send UTF-8`);
}
