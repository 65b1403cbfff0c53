import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { RotatingFile } from './rotating-file';

const dirs: string[] = [];

function logDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'nagare-rotate-'));
  dirs.push(dir);
  return dir;
}

/** A 100-byte line, numbered. */
function line(n: number): string {
  return `${String(n).padStart(4, '0')} ${'x'.repeat(94)}\n`;
}

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe(RotatingFile.name, () => {
  it('rotates past max size, keeps the current file name and at most maxFiles rotated files, losing no recent line', () => {
    const dir = logDir();
    const path = join(dir, 'system.log');
    const stream = new RotatingFile({ path, maxBytes: 1000, maxFiles: 2 });
    for (let n = 1; n <= 35; n++) stream.write(line(n));

    expect(readdirSync(dir).sort()).toEqual(['system.log', 'system.log.1', 'system.log.2']);
    // Ten lines a file: 31-35 in the current one, 21-30 and 11-20 rotated, 1-10 dropped.
    expect(readFileSync(path, 'utf8')).toBe([31, 32, 33, 34, 35].map(line).join(''));
    expect(readFileSync(`${path}.1`, 'utf8')).toBe([21, 22, 23, 24, 25, 26, 27, 28, 29, 30].map(line).join(''));
    expect(readFileSync(`${path}.2`, 'utf8').startsWith(line(11))).toBe(true);
  });

  it('counts what a file held before the process started, and rotates it first when it is already full', () => {
    const dir = logDir();
    const path = join(dir, 'system.log');
    writeFileSync(path, 'x'.repeat(990) + '\n');
    const stream = new RotatingFile({ path, maxBytes: 1000, maxFiles: 1 });
    stream.write(line(1));

    expect(readFileSync(`${path}.1`, 'utf8')).toHaveLength(991);
    expect(readFileSync(path, 'utf8')).toBe(line(1));
  });

  it('has each line of a pino logger in its file when the call returns, in order, across rotations', () => {
    const dir = logDir();
    const path = join(dir, 'system.log');
    const stream = new RotatingFile({ path, maxBytes: 500, maxFiles: 3 });
    const logger = pino({ base: null, timestamp: false }, stream);
    const read = (file: string) =>
      readFileSync(file, 'utf8')
        .trim()
        .split('\n')
        .map((text) => JSON.parse(text) as { n?: number; msg: string });
    for (let n = 1; n <= 100; n++) {
      logger.info({ n }, 'line');
      expect(read(path).at(-1)).toEqual({ level: 30, n, msg: 'line' });
    }

    expect(existsSync(`${path}.3`)).toBe(true);
    expect(existsSync(`${path}.4`)).toBe(false);
    const numbers = [`${path}.3`, `${path}.2`, `${path}.1`, path].flatMap(read).map((entry) => entry.n as number);
    // The latest lines, each once and in order, up to the last; three full rotated files of 500 bytes hold at least
    // 13 lines of at most 36 bytes each.
    expect(numbers).toEqual(numbers.map((_n, i) => 100 - numbers.length + 1 + i));
    expect(numbers.length).toBeGreaterThanOrEqual(3 * 13);
  });
});
