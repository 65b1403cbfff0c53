import { setFlagsFromString } from 'node:v8';

/**
 * How far V8 lets the heap grow past what the last full collection kept, in percent: 50 is 1.5 ×. V8 picks a factor
 * up to 4 × on its own when the process allocates fast, and a sync does: it keeps about 50 MB live and throws away
 * every reply it parsed, so the heap reached 180 MB before a collection and the process held 350-370 MB. At 1.5 × a
 * 200,000-item sync's peak fell to about 225 MB, for about a quarter more CPU in a sync (docs/benchmarks.md).
 */
const HEAP_GROWING_PERCENT = 50;

/**
 * Sets V8's heap growing factor, unless the node command line sets it (NODE_OPTIONS may not). V8 reads the flag at
 * every full collection, so setting it once the process runs takes effect from the next one.
 */
export function limitHeapGrowth(): void {
  if (process.execArgv.some((arg) => /^--heap[-_]growing[-_]percent\b/.test(arg))) return;
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}
