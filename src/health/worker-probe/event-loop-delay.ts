import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';

const NS_PER_MS = 1e6;
const RESOLUTION_MS = 20;

/** Delays of the event loop in milliseconds, since the previous reading. */
export interface LoopDelay {
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
}

/**
 * How late the event loop ran its timers, sampled every 20 ms by Node (the histogram holds the whole interval
 * between samples, so the 20 ms are taken off). Reported by the worker's liveness probe for
 * operators; it never fails the probe: a loop that is merely slow is still alive, and a wedged one never gets to
 * answer at all.
 */
export class EventLoopDelay {
  private readonly histogram: IntervalHistogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });

  start(): void {
    this.histogram.enable();
  }

  stop(): void {
    this.histogram.disable();
  }

  /** The delays since the previous call (zeros before the first sample), then starts a new window. */
  read(): LoopDelay {
    const { histogram } = this;
    const empty = histogram.count === 0;
    const delay = {
      p50_ms: empty ? 0 : toMs(histogram.percentile(50)),
      p99_ms: empty ? 0 : toMs(histogram.percentile(99)),
      max_ms: empty ? 0 : toMs(histogram.max),
    };
    histogram.reset();
    return delay;
  }
}

function toMs(ns: number): number {
  return Math.max(0, Math.round((ns / NS_PER_MS - RESOLUTION_MS) * 10) / 10);
}
