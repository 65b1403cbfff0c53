import { randomInt } from 'node:crypto';

/**
 * The statement that picks `count` random hosts (with repeats), each with a random one of its items or null when it
 * has none. Its parameters are `count` random fractions in [0, 1): a host is found by a point in [min id, max id]
 * and an index seek to the first host at or after it (wrapping to the first host), so no host list is read; ids
 * after a gap are likelier, which test data can bear. Bound parameters rather than numbers in the text, so the text
 * is the same for the same count and the driver prepares it once.
 */
export function targetPicksSql(count: number, postgres: boolean): string {
  const real = postgres ? 'double precision' : 'real';
  const picks = Array.from({ length: count }, (_, index) => `(CAST(${postgres ? `$${index + 1}` : '?'} AS ${real}))`);
  // Uncorrelated scalar subqueries, each run once per statement. MIN and MAX apart: SQLite reads either alone off
  // the primary key, but scans the whole table for both in one SELECT (50 µs at 2,000 hosts against 3 µs). Joining
  // them in as a CTE instead made SQLite's plan 30 times slower.
  const lo = '(SELECT MIN(id) FROM hosts)';
  const size = `((SELECT MAX(id) FROM hosts) - ${lo} + 1)`;
  // floor(f × size), in [0, size): SQLite's CAST to integer truncates, PostgreSQL's rounds.
  const offset = postgres ? `FLOOR(picks.f * ${size})::integer` : `CAST(picks.f * ${size} AS integer)`;
  return (
    `WITH picks(f) AS (VALUES ${picks.join(', ')}), ` +
    `chosen AS (SELECT COALESCE(` +
    `(SELECT h.id FROM hosts h WHERE h.id >= ${lo} + ${offset} ORDER BY h.id LIMIT 1), ` +
    `(SELECT h.id FROM hosts h ORDER BY h.id LIMIT 1)) AS host_id FROM picks) ` +
    `SELECT chosen.host_id AS host_id, ` +
    `(SELECT i.id FROM items i WHERE i.host_id = chosen.host_id ORDER BY RANDOM() LIMIT 1) AS item_id ` +
    `FROM chosen`
  );
}

/** Random fractions are multiples of 1 / FRACTION_STEPS in [0, 1), exact in a double. */
const FRACTION_STEPS = 2 ** 40;

/** `count` random fractions in [0, 1): the parameters of targetPicksSql. */
export function randomFractions(count: number): number[] {
  return Array.from({ length: count }, () => randomInt(FRACTION_STEPS) / FRACTION_STEPS);
}
