/**
 * Runs writes with at most `size` in flight, so a sync builds its next batch while the database stores the one
 * before. After the first failure no write starts: `add` and `drain` throw it once every write in flight has
 * settled, so nothing is written after the sync has given up.
 */
export class WriteWindow {
  private readonly inFlight = new Set<Promise<void>>();
  private failure: { error: unknown } | undefined;

  constructor(private readonly size: number) {}

  /** Starts the write as soon as fewer than `size` are in flight; writes start in the order they were added. */
  async add(write: () => Promise<void>): Promise<void> {
    while (this.inFlight.size >= this.size && !this.failure) await Promise.race(this.inFlight);
    if (this.failure) return this.drain();
    const running: Promise<void> = write()
      .catch((error: unknown) => {
        this.failure ??= { error };
      })
      .finally(() => this.inFlight.delete(running));
    this.inFlight.add(running);
  }

  /** Waits for every write in flight, then throws the first failure, if any. */
  async drain(): Promise<void> {
    await this.settle();
    if (this.failure) throw this.failure.error;
  }

  /** Waits for every write in flight, whatever became of them: for a sync that failed for another reason. */
  async settle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all(this.inFlight);
  }
}
