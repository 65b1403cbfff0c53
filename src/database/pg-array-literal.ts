import { defaults } from 'pg';
import { prepareValue } from 'pg/lib/utils';
import { ISO_TIMESTAMP_FIRST_MS, ISO_TIMESTAMP_LAST_MS, isoTimestamp } from './iso-timestamp';

/**
 * A PostgreSQL array literal (`{1,NULL,"a \"b\""}`) of one column's values, as `pg` writes an array parameter, for
 * `$n::type[]`. `pg` quotes every element and escapes it with two regular expressions, after converting it: for a
 * sync's 500-row upsert that was 9,000 calls, more CPU than the server's parse and bind. Here numbers and booleans go
 * unquoted, a string is escaped only when it holds a quote or a backslash, and a date (in UTC, as the service sends
 * them) is written as toISOString writes it (isoTimestamp, years 1 to 9999; pg writes others with "BC"); anything
 * else takes `pg`'s own conversion, so every value is stored as before.
 */
export function arrayLiteral(values: readonly unknown[]): string {
  const parts: string[] = new Array(values.length);
  let last: unknown;
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    // Neighbouring rows often hold the same value (a host's id, the sync time, a status): written once.
    parts[i] = i > 0 && value === last ? parts[i - 1] : element(value);
    last = value;
  }
  return `{${parts.join(',')}}`;
}

const NEEDS_ESCAPE = /["\\]/;

function element(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  switch (typeof value) {
    case 'string':
      return quoted(value);
    case 'number':
    case 'bigint':
      return String(value);
    case 'boolean':
      return value ? 'true' : 'false';
  }
  if (value instanceof Date && defaults.parseInputDatesAsUTC) {
    // The instant pg would write (its "+00:00" is this "Z"): a sync has a clock per item.
    const ms = value.getTime();
    if (ms >= ISO_TIMESTAMP_FIRST_MS && ms <= ISO_TIMESTAMP_LAST_MS) return `"${isoTimestamp(ms)}"`;
  }
  // A one-element array through `pg` itself, its braces taken off: the same text `pg` would put in the array.
  const single = prepareValue([value]) as string;
  return single.slice(1, -1);
}

function quoted(text: string): string {
  if (!NEEDS_ESCAPE.test(text)) return `"${text}"`;
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}
