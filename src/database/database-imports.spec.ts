import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';

/** src/database serves every feature and depends on none: features register their entities themselves. */
describe('src/database imports', () => {
  const src = join(process.cwd(), 'src');
  const allowed = ['database', 'config'];

  function sources(dir: string): string[] {
    return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return sources(path);
      return entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') ? [path] : [];
    });
  }

  it('imports nothing from a feature, only from src/database itself and src/config', () => {
    const outside = sources(join(src, 'database')).flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(/from '(\.[^']+)'/g)]
        .map((match) => relative(src, join(dirname(file), match[1])))
        .filter((target) => !allowed.includes(target.split(sep)[0]))
        .map((target) => `${relative(src, file)} imports ${target}`),
    );
    expect(outside).toEqual([]);
  });
});
