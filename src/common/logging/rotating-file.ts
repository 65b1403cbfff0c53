import { existsSync, mkdirSync, openSync, renameSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import pino from 'pino';

type FileStream = ReturnType<typeof pino.destination>;

export interface RotatingFileOptions {
  path: string;
  /** The file is rotated before a write would take it past this size. */
  maxBytes: number;
  /** Rotated files kept: `<path>.1` (the newest) to `<path>.<maxFiles>`; older ones are overwritten. */
  maxFiles: number;
  /** Write each line before returning (system.log does: create-logger.ts); otherwise asynchronously, flushed on exit. */
  sync: boolean;
}

/**
 * A log file that rotates by size and keeps its name, so `tail -F logs/system.log` follows it across rotations.
 * Each file is pino's own destination (SonicBoom) on a descriptor opened synchronously, so a line written just
 * before process.exit is flushed (flushSync) wherever a rotation stands. Packages were not used: pino-roll writes
 * to numbered files (no stable name to tail), and rotating-file-stream is a plain Writable that pino cannot
 * flush on exit, which would lose the 'Nagare stopped' line.
 *
 * A rotation renames the file, writes on to a new one, and ends the old stream: lines it still had queued land
 * in the renamed file. One process per file: two processes sharing a log directory would each rotate it.
 */
export class RotatingFile implements pino.DestinationStream {
  private current: FileStream;
  /** Rotated-out streams still writing what they had queued. */
  private readonly closing = new Set<FileStream>();
  private size: number;

  constructor(private readonly options: RotatingFileOptions) {
    mkdirSync(dirname(options.path), { recursive: true });
    this.size = existsSync(options.path) ? statSync(options.path).size : 0;
    this.current = this.open();
  }

  write(line: string): void {
    const bytes = Buffer.byteLength(line);
    if (this.size > 0 && this.size + bytes > this.options.maxBytes) this.rotate();
    this.size += bytes;
    this.current.write(line);
  }

  /** pino calls this on exit: everything queued reaches its file before the process ends. */
  flushSync(): void {
    for (const stream of this.closing) {
      try {
        stream.flushSync();
      } catch {
        // 'SonicBoom destroyed': an ended stream is destroyed only once it wrote all it had, so nothing is left.
      }
    }
    this.current.flushSync();
  }

  private open(): FileStream {
    return pino.destination({ dest: openSync(this.options.path, 'a'), sync: this.options.sync });
  }

  private rotate(): void {
    const { path, maxFiles } = this.options;
    try {
      for (let n = maxFiles - 1; n >= 1; n--) {
        if (existsSync(`${path}.${n}`)) renameSync(`${path}.${n}`, `${path}.${n + 1}`);
      }
      renameSync(path, `${path}.1`);
    } catch (error) {
      // A failed rename (a full disk, the file removed by hand) never costs a log line: keep writing where we are.
      process.stderr.write(`log rotation of ${path} failed: ${(error as Error).message}\n`);
      this.size = 0;
      return;
    }
    const old = this.current;
    this.current = this.open();
    this.size = 0;
    this.closing.add(old);
    old.once('close', () => this.closing.delete(old));
    old.end();
  }
}
