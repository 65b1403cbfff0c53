import { setFlagsFromString } from 'node:v8';

/**
 * How far V8 lets the heap grow past what the last full collection kept, in percent, while a sync runs: 50 is
 * 1.5 ×. V8 picks a factor up to 4 × on its own when the process allocates fast, and a sync does: it keeps about
 * 50 MB live and throws away every reply it parsed, so the heap reached 180 MB before a collection and the process
 * held 350-370 MB. At 1.5 × a 200,000-item sync's peak fell to about 225 MB, for about a quarter more CPU in a sync.
 * Held in an API process, the same factor cost a tenth more CPU per enqueue and 30 ms of p99, so a process that
 * runs tasks (role worker or all) holds it all the time, and an API process only while one of its synchronous pulls
 * runs (docs/benchmarks.md). Held from the first collection of a sync only, it let the heap's first cycle grow
 * as V8 chose, and a million-item sync peaked at 284 MB against 230 MB.
 */
export const SYNC_HEAP_GROWING_PERCENT = 50;
/** The flag's default: V8 chooses. */
export const V8_CHOOSES = 0;

/**
 * Holds the heap's growth to SYNC_HEAP_GROWING_PERCENT from the start of the first sync to the end of the last one
 * running in the process. V8 reads the flag at every full collection, so a change takes effect from the next one.
 */
export class SyncHeapGrowth {
  private running = 0;

  /** `fixed`: the factor stays as it is (the node command line sets it, or the process holds it all the time). */
  constructor(
    private readonly setPercent: (percent: number) => void,
    private fixed: boolean,
  ) {}

  /** Holds the factor for the rest of the process's life. */
  holdAlways(): void {
    if (this.fixed) return;
    this.fixed = true;
    this.setPercent(SYNC_HEAP_GROWING_PERCENT);
  }

  async during<T>(work: () => Promise<T>): Promise<T> {
    if (this.fixed) return work();
    if (this.running++ === 0) this.setPercent(SYNC_HEAP_GROWING_PERCENT);
    try {
      return await work();
    } finally {
      if (--this.running === 0) this.setPercent(V8_CHOOSES);
    }
  }
}

/** NODE_OPTIONS may not carry `--heap-growing-percent`; the command line may, and wins. */
const processGrowth = new SyncHeapGrowth(
  (percent) => setFlagsFromString(`--heap-growing-percent=${percent}`),
  process.execArgv.some((arg) => /^--heap[-_]growing[-_]percent\b/.test(arg)),
);

/** At start: a process that runs tasks holds the factor all the time; an API process during its syncs only. */
export function holdHeapGrowth(runsTasks: boolean): void {
  if (runsTasks) processGrowth.holdAlways();
}

/** Runs a sync of this process with the heap's growth held (SyncHeapGrowth). */
export function withSyncHeapGrowth<T>(work: () => Promise<T>): Promise<T> {
  return processGrowth.during(work);
}
