import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONFIG_KEYS } from './config.keys';

describe('CONFIG_KEYS', () => {
  const readme = readFileSync(join(process.cwd(), 'README.md'), 'utf8');

  it.each(CONFIG_KEYS.map((key) => [key.path, key]))(
    'is documented in the README with its default: %s',
    (path, key) => {
      const row = readme.split('\n').find((line) => line.startsWith(`| \`${path}\` |`));
      expect(row).toContain(`| \`${key.env}\` |`);
      if (key.default !== undefined) expect(row).toContain(`| \`${key.default}\` |`);
    },
  );

  it('names every environment variable once', () => {
    const names = CONFIG_KEYS.map((key) => key.env);
    expect(new Set(names).size).toBe(names.length);
  });
});
