import { FileTypeValidator } from '@nestjs/common';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import semver from 'semver';

/**
 * Issue 21: the Node.js releases the project supports. package.json's `engines` is the one list; these tests hold
 * the installed dependency tree, the image and CI's second Node to it.
 */
const ROOT = process.cwd();
/** The LTS lines the README promises; CI runs the machine's Node 20 and scripts/node-toolchain.sh's Node 24. */
const SUPPORTED_MAJORS = [20, 22, 24];
const NEWEST_MAJOR = Math.max(...SUPPORTED_MAJORS);

interface LockedPackage {
  version?: string;
  engines?: { node?: string } | string[];
}

function readText(file: string): string {
  return readFileSync(join(ROOT, file), 'utf8');
}

const engines: string = JSON.parse(readText('package.json')).engines.node;
const locked: Record<string, LockedPackage> = JSON.parse(readText('package-lock.json')).packages;

/** The lowest release of a major line that a range admits, or null when it admits none of that line. */
function lowestAdmitted(range: string, major: number): string | null {
  const candidates = new semver.Range(range).set
    .map((comparators) => comparators.map((c) => c.value).join(' '))
    .map((set) => semver.minVersion(`${set} >=${major}.0.0 <${major + 1}.0.0-0`)?.version ?? null)
    .filter((version): version is string => version !== null);
  return candidates.sort(semver.compare)[0] ?? null;
}

function captured(file: string, pattern: RegExp): string {
  const match = readText(file).match(pattern);
  if (!match) throw new Error(`${file} has no line matching ${pattern}`);
  return match[1];
}

describe('Supported Node.js versions', () => {
  it('engines admits every supported LTS line and no release before 20.19', () => {
    for (const major of SUPPORTED_MAJORS) expect(lowestAdmitted(engines, major)).not.toBeNull();
    expect(semver.satisfies('20.18.3', engines)).toBe(false);
    expect(semver.satisfies('18.20.8', engines)).toBe(false);
  });

  it('every locked package accepts the lowest release of each supported line that engines admits', () => {
    // `npm ci` prints EBADENGINE for each of these on that release; none may come from our tree.
    const refusals: string[] = [];
    for (const major of SUPPORTED_MAJORS) {
      const lowest = lowestAdmitted(engines, major);
      if (lowest === null) continue;
      for (const [path, pkg] of Object.entries(locked)) {
        const wanted = Array.isArray(pkg.engines) ? undefined : pkg.engines?.node;
        if (path !== '' && wanted && !semver.satisfies(lowest, wanted)) {
          refusals.push(`Node ${lowest}: ${path}@${pkg.version} wants node ${wanted}`);
        }
      }
    }
    expect(refusals).toEqual([]);
  });

  it('the image and CI’s second Node run the newest supported line, at a release engines admits', () => {
    const image = captured('Dockerfile', /^ARG NODE_IMAGE=node:(\S+)$/m);
    expect(image).toBe(`${NEWEST_MAJOR}-bookworm-slim`);

    const toolchain = captured('scripts/node-toolchain.sh', /^NODE_TOOLCHAIN_VERSION=(\S+)$/m);
    expect(semver.major(toolchain)).toBe(NEWEST_MAJOR);
    expect(semver.satisfies(toolchain, engines)).toBe(true);
  });

  it('ParseFilePipe’s FileTypeValidator still reads magic numbers with the file-type that package.json pins', async () => {
    // overrides.file-type keeps @nestjs/common's file-type on a release that supports Node 20. We mount no upload
    // route today; this proves the pinned release still loads and detects, should one come.
    const png = Buffer.from(
      'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
      'base64',
    );
    const validator = new FileTypeValidator({ fileType: 'image/png' });
    const file = (buffer: Buffer) => ({ mimetype: 'image/png', size: buffer.length, buffer });

    expect(await validator.isValid(file(png))).toBe(true);
    expect(await validator.isValid(file(Buffer.from('%PDF-1.7\n%âãÏÓ\n1 0 obj\n<<>>\nendobj\n')))).toBe(false);
  });
});
