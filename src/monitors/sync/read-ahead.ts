/**
 * Runs `fetch` for the batches in order, keeping at most `ahead` of them started but not yet taken. A failed
 * fetch is reported when its batch is taken, never as an unhandled rejection.
 */
export class ReadAhead<B, R> {
  private readonly pending = new Map<number, Promise<R>>();
  private next = 0;
  private stopped = false;

  constructor(
    private readonly batches: B[],
    private readonly ahead: number,
    private readonly fetch: (batch: B) => Promise<R>,
  ) {}

  start(): void {
    while (!this.stopped && this.next < this.batches.length && this.pending.size < this.ahead) {
      const index = this.next++;
      const promise = this.fetch(this.batches[index]);
      promise.catch(() => undefined);
      this.pending.set(index, promise);
    }
  }

  /** The batch's result; batches must be taken in order. */
  take(index: number): Promise<R> {
    this.start();
    const promise = this.pending.get(index) ?? this.fetch(this.batches[index]);
    this.pending.delete(index);
    this.start();
    return promise;
  }

  stop(): void {
    this.stopped = true;
    this.pending.clear();
  }
}
