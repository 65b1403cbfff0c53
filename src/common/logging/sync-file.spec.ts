import { jest } from '@jest/globals';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SyncFile } from './sync-file';

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'nagare-sync-file-'));
});

afterEach(() => {
  jest.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});

describe(SyncFile.name, () => {
  it('has each line in the file when write returns, multi-byte characters included', () => {
    const path = join(dir, 'system.log');
    const file = new SyncFile(openSync(path, 'a'), path);
    file.write('{"msg":"plain"}\n');
    expect(readFileSync(path, 'utf8')).toBe('{"msg":"plain"}\n');
    file.write('{"msg":"流れ ✓ 𝄞"}\n');
    expect(readFileSync(path, 'utf8')).toBe('{"msg":"plain"}\n{"msg":"流れ ✓ 𝄞"}\n');
    file.close();
  });

  it('loses a line it cannot write, never the caller: said once on stderr however many lines fail', () => {
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const path = join(dir, 'system.log');
    const fd = openSync(path, 'a');
    closeSync(fd);
    const file = new SyncFile(fd, path);

    expect(() => file.write('one\n')).not.toThrow();
    expect(() => file.write('two\n')).not.toThrow();

    expect(stderr).toHaveBeenCalledTimes(1);
    expect(String(stderr.mock.calls[0][0])).toMatch(/^writing .*system\.log failed: EBADF/);
  });
});
