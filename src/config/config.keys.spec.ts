import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONFIG_KEYS } from './config.keys';

describe('CONFIG_KEYS', () => {
  const readme = readFileSync(join(process.cwd(), 'README.md'), 'utf8');
  /** The README's configuration table, as cells: file key, environment variable, default, meaning. */
  const rows = readme
    .split('\n')
    .filter((line) => line.startsWith('|'))
    .map((line) =>
      line
        .split('|')
        .slice(1, -1)
        .map((cell) => cell.trim()),
    );

  it.each(CONFIG_KEYS.map((key) => [key.path, key]))(
    'is documented in the README with its default: %s',
    (path, key) => {
      const row = rows.find((cells) => cells[0] === `\`${path}\``);
      expect(row?.[1]).toBe(`\`${key.env}\``);
      if (key.default !== undefined) expect(row?.[2]).toBe(`\`${key.default}\``);
    },
  );

  it('names every environment variable once', () => {
    const names = CONFIG_KEYS.map((key) => key.env);
    expect(new Set(names).size).toBe(names.length);
  });
});
