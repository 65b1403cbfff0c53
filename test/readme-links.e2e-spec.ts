import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/** The README and docs/ are read in a clone: every relative link in them must reach a file of the repository. */
const ROOT = process.cwd();
const DOCUMENTS = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
];

/** `[text](target)` links that are neither absolute URLs nor anchors in the same page, without their #anchor. */
function relativeLinks(document: string): string[] {
  const text = readFileSync(join(ROOT, document), 'utf8');
  return [...text.matchAll(/\]\(([^)\s]+)\)/g)]
    .map((match) => match[1])
    .filter((target) => !/^[a-z]+:/i.test(target) && !target.startsWith('#'))
    .map((target) => target.split('#')[0]);
}

describe('README and docs links', () => {
  it.each(DOCUMENTS)('%s links only to files inside the repository that exist', (document) => {
    const broken = relativeLinks(document).filter((target) => {
      const path = resolve(ROOT, dirname(document), target);
      return relative(ROOT, path).startsWith('..') || !existsSync(path);
    });
    expect(broken).toEqual([]);
  });

  it('links the product contract from the README, as a copy in docs/', () => {
    expect(relativeLinks('README.md')).toContain('docs/REDIS_QUEUE_GUIDE.md');
  });
});
