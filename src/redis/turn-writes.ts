import type { Writable } from 'node:stream';
import type Redis from 'ioredis';

/** Sockets already held this turn. */
const held = new WeakSet<Writable>();

/**
 * Holds the connection's writes until the end of the current event-loop turn (`setImmediate`), so the commands that
 * every request handled in this turn sends on it leave in one write (writev) rather than in one system call each.
 * Under load the API reads several requests per turn, and a write to Redis per enqueue was an eighth of its busy
 * CPU (docs/benchmarks.md, "1. Enqueue").
 *
 * Nothing else changes: the same bytes, in the same order, on the same connection, each command sent at most one
 * turn later (ioredis's auto-pipelining would reorder commands it pipelines against those it does not, such as
 * MULTI). A connection that is not ready is left alone: ioredis queues its commands itself.
 */
export function holdWritesThisTurn(redis: Redis): void {
  const stream = (redis as { stream?: Writable }).stream;
  if (redis.status !== 'ready' || !stream?.writable || held.has(stream)) return;
  held.add(stream);
  stream.cork();
  setImmediate(() => {
    held.delete(stream);
    stream.uncork();
  });
}
