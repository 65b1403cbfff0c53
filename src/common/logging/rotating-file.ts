import { existsSync, mkdirSync, openSync, renameSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import type pino from 'pino';
import { SyncFile } from './sync-file';

export interface RotatingFileOptions {
  path: string;
  /** The file is rotated before a write would take it past this size. */
  maxBytes: number;
  /** Rotated files kept: `<path>.1` (the newest) to `<path>.<maxFiles>`; older ones are overwritten. */
  maxFiles: number;
}

/**
 * A log file that rotates by size and keeps its name, so `tail -F logs/system.log` follows it across rotations.
 * Each line is written before `write` returns (SyncFile), so a line written just before process.exit, or before a
 * SIGKILL, is in the file. Packages were not used: pino-roll writes to numbered files (no stable name to tail), and
 * rotating-file-stream is a plain Writable, asynchronous, which would lose the 'Nagare stopped' line on exit.
 *
 * A rotation renames the file and writes on to a new one. One process per file: two processes sharing a log
 * directory would each rotate it.
 */
export class RotatingFile implements pino.DestinationStream {
  private current: SyncFile;
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

  /** pino calls this on exit; every line is already in the file. */
  flushSync(): void {}

  private open(): SyncFile {
    return new SyncFile(openSync(this.options.path, 'a'), this.options.path);
  }

  private rotate(): void {
    const { path, maxFiles } = this.options;
    let next: SyncFile;
    try {
      for (let n = maxFiles - 1; n >= 1; n--) {
        if (existsSync(`${path}.${n}`)) renameSync(`${path}.${n}`, `${path}.${n + 1}`);
      }
      renameSync(path, `${path}.1`);
      next = this.open();
    } catch (error) {
      // A failed rename or open (a full disk, the file removed by hand) never costs a log line: keep writing where
      // we are, renamed or not.
      process.stderr.write(`log rotation of ${path} failed: ${(error as Error).message}\n`);
      this.size = 0;
      return;
    }
    this.current.close();
    this.current = next;
    this.size = 0;
  }
}
