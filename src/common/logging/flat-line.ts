import pino, { type Level, type Logger } from 'pino';

const {
  chindingsSym,
  endSym,
  errorKeySym,
  formattersSym,
  hooksSym,
  lsCacheSym,
  messageKeySym,
  mixinSym,
  needsMetadataGsym,
  nestedKeySym,
  serializersSym,
  streamSym,
  stringifiersSym,
  timeSliceIndexSym,
  timeSym,
  wildcardFirstSym,
} = pino.symbols;
/** In pino.symbols, though its type declarations leave it out. */
const msgPrefixSym = (pino.symbols as unknown as Record<string, symbol>).msgPrefixSym;

/** A line's flat fields: what UnredactedLine holds. */
export type FlatFields = Readonly<Record<string, string | number | boolean | undefined>>;

/** The pino internals the writer reads (pino.symbols): a logger is indexed by them. */
type PinoInternals = Logger & Record<symbol, unknown>;

interface MetadataStream {
  write(line: string): void;
  lastLevel?: number;
  lastObj?: object;
  lastMsg?: string;
  lastTime?: string;
  lastLogger?: Logger;
}

/**
 * Writes a line of flat fields as pino's own `logger[level](fields, msg)` writes it, byte for byte, to the same
 * stream, without pino's generic pass over the fields (the format step, serializer and stringifier look-ups for
 * every key): the worker writes two such lines per task. Only for a logger with nothing that would change the
 * line (no mixin, log formatter, message prefix, nested key, stream hook or redaction); `forLogger` answers
 * undefined for any other, and a field that has a serializer makes `write` answer false: the caller then logs
 * through pino.
 */
export class FlatLineWriter {
  private readonly keys = new Map<string, string>();
  /** The logger's time field; pino's ISO time made once per millisecond (the worker writes several lines in one). */
  private readonly time: () => string;

  private constructor(
    private readonly logger: PinoInternals,
    private readonly serializers: Record<string, unknown>,
    private readonly errorKey: string,
  ) {
    const time = logger[timeSym] as () => string;
    this.time = time === pino.stdTimeFunctions.isoTime ? isoTimeOfThisMillisecond : time;
  }

  static forLogger(logger: Logger): FlatLineWriter | undefined {
    const internals = logger as PinoInternals;
    const formatters = internals[formattersSym] as { log?: unknown };
    const stringifiers = internals[stringifiersSym] as Record<string | symbol, unknown>;
    const hooks = internals[hooksSym] as { streamWrite?: unknown };
    const plain =
      !internals[mixinSym] &&
      !formatters.log &&
      typeof internals[msgPrefixSym] !== 'string' &&
      !internals[nestedKeySym] &&
      !hooks.streamWrite &&
      internals[messageKeySym] === 'msg' &&
      Object.keys(stringifiers).length === 0 &&
      !stringifiers[wildcardFirstSym];
    if (!plain) return undefined;
    const serializers = internals[serializersSym] as Record<string, unknown>;
    return new FlatLineWriter(internals, serializers, internals[errorKeySym] as string);
  }

  /** False, having written nothing, when a field has a serializer (pino's path must write it). */
  write(level: Level, fields: FlatFields, msg: string): boolean {
    const logger = this.logger;
    let props = '';
    for (const key in fields) {
      const value = fields[key];
      if (value === undefined || !Object.prototype.hasOwnProperty.call(fields, key)) continue;
      if (this.serializers[key] !== undefined || key === this.errorKey) return false;
      props += this.keyOf(key) + (typeof value === 'string' ? asString(value) : jsonScalar(value));
    }
    const num = logger.levels.values[level];
    const time = this.time();
    const head = (logger[lsCacheSym] as Record<number, string>)[num] + time + (logger[chindingsSym] as string);
    const line = head + props + ',"msg":' + asString(msg) + (logger[endSym] as string);
    const stream = logger[streamSym] as MetadataStream & Record<symbol, unknown>;
    if (stream[needsMetadataGsym] === true) {
      stream.lastLevel = num;
      stream.lastObj = fields;
      stream.lastMsg = msg;
      stream.lastTime = time.slice(logger[timeSliceIndexSym] as number);
      stream.lastLogger = logger;
    }
    stream.write(line);
    return true;
  }

  /** `,"key":`, made once per field name. */
  private keyOf(key: string): string {
    let text = this.keys.get(key);
    if (text === undefined) {
      text = ',' + asString(key) + ':';
      this.keys.set(key, text);
    }
    return text;
  }
}

let lastMillisecond = -1;
let lastIsoTime = '';

/** pino.stdTimeFunctions.isoTime's text, the same for every line of one millisecond. */
function isoTimeOfThisMillisecond(): string {
  const now = Date.now();
  if (now !== lastMillisecond) {
    lastMillisecond = now;
    lastIsoTime = `,"time":"${new Date(now).toISOString()}"`;
  }
  return lastIsoTime;
}

/** A number or boolean as pino writes it: a number that is not finite as null. */
function jsonScalar(value: number | boolean): string {
  return typeof value === 'number' && !Number.isFinite(value) ? 'null' : String(value);
}

/**
 * A string as JSON, the way pino writes it (its `asString`): JSON.stringify for long strings and strings with a
 * control character, otherwise the string with `"` and `\` escaped (pino leaves lone surrogates as they are).
 */
export function asString(str: string): string {
  const length = str.length;
  if (length > 100) return JSON.stringify(str);
  let result = '';
  let last = 0;
  let found = false;
  let point = 255;
  for (let i = 0; i < length && point >= 32; i++) {
    point = str.charCodeAt(i);
    if (point === 34 || point === 92) {
      result += str.slice(last, i) + '\\';
      last = i;
      found = true;
    }
  }
  if (!found) result = str;
  else result += str.slice(last);
  return point < 32 ? JSON.stringify(str) : '"' + result + '"';
}
