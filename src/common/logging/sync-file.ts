import { closeSync, writeSync } from 'node:fs';

/**
 * A regular file's descriptor, each line written with one write(2) before `write` returns: the line is in the page
 * cache at once, so there is nothing to flush and a SIGKILL loses none. Regular files only: they never block or
 * answer EAGAIN (a pipe or a terminal goes through SonicBoom, asynchronously). Leaner than SonicBoom's synchronous
 * mode, which keeps a buffer and its bookkeeping around every line: 2 of the 12 µs a worker's two lines a task cost
 * written to two files (docs/benchmarks.md).
 *
 * A failed write (a full disk, an I/O error) loses that line, never the caller's work: it is said once on stderr,
 * and the next line is tried again.
 */
export class SyncFile {
  private failing = false;

  constructor(
    private readonly fd: number,
    private readonly name: string,
  ) {}

  write(line: string): void {
    try {
      const written = writeSync(this.fd, line);
      // A line of one-byte characters is written whole when `written` is its length; only then is it not counted.
      if (written !== line.length && written < Buffer.byteLength(line)) this.writeRest(Buffer.from(line), written);
      this.failing = false;
    } catch (error) {
      if (!this.failing) process.stderr.write(`writing ${this.name} failed: ${(error as Error).message}\n`);
      this.failing = true;
    }
  }

  /** Nothing is buffered: pino calls this on exit. */
  flushSync(): void {}

  close(): void {
    closeSync(this.fd);
  }

  /** What a short write (a disk filling up, a signal) left of the line. */
  private writeRest(bytes: Buffer, offset: number): void {
    while (offset < bytes.length) {
      const written = writeSync(this.fd, bytes, offset, bytes.length - offset);
      if (written === 0) throw new Error(`short write, ${bytes.length - offset} bytes left`);
      offset += written;
    }
  }
}
