import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoPath } from '../support/files.js';

const ROOT = repoPath('.');

/**
 * Relative paths (`../x`, `../../x/y`) in a text, resolved against the file's folder, that
 * leave the repository, or that point into its `shared/` code at something that is not there
 * (a document naming the reference material beside a checkout, as if it were the repository's).
 */
export function escapingPaths(file: string, text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/(?<![\w.])((?:\.\.\/)+)([\w.-]*(?:\/[\w-]+)?)/g)) {
    const target = relative(ROOT, resolve(ROOT, dirname(file), m[0]));
    const exists = [target, target.replace(/\.js$/, '.ts'), `${target}.ts`].some((t) => existsSync(resolve(ROOT, t)));
    if (target.startsWith('..') || (target.startsWith('shared/') && !exists)) out.push(m[0]);
  }
  return out;
}

/** Absolute paths under the folders a checkout may lie in, which a user's machine does not have. */
export function outsideAbsolutePaths(text: string): string[] {
  return [...text.matchAll(/(?<![\w.:/-])\/(?:work|home|Users)\/[\w.-]+/g)].map((m) => m[0]);
}

/**
 * A user's clone has nothing beside it: no tracked file (code, tests, docs, scripts) may
 * read or name a path outside the repository.
 */
describe('the repository is self-contained', () => {
  const tracked = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' })
    .split('\0')
    // This file's own examples of what it refuses are left out.
    .filter((f) => f && !/\.(png|jpe?g|ico)$/.test(f) && f !== 'package-lock.json' && f !== 'test/packaging/self-contained.test.ts');

  it('finds the paths it looks for (the check can fail)', () => {
    expect(escapingPaths('README.md', 'see ../notes/PLAN.md')).toEqual(['../notes/PLAN']);
    expect(escapingPaths('test/api/x.test.ts', "new URL('../../../notes/examples/', import.meta.url)")).toEqual([
      '../../../notes/examples',
    ]);
    // From docs/, this is the repository's own shared/ code folder, which has no such entry
    // (put together here, so that this file does not itself name the folder beside a checkout).
    const intoShared = ['..', 'shared', 'knative-crds'].join('/');
    expect(escapingPaths('docs/install.md', `the CRDs in \`${intoShared}/\``)).toEqual([intoShared]);
    expect(escapingPaths('bench/env.ts', "import { Kube } from '../shared/kube/client.js';")).toEqual([]);
    expect(escapingPaths('docs/operator.md', 'see [the README](../README.md)')).toEqual([]);
    expect(outsideAbsolutePaths("const CRDS = '/work/notes/knative-crds';")).toEqual(['/work/notes']);
    expect(outsideAbsolutePaths('https://example.com/work/x and /usr/bin/etcd')).toEqual([]);
  });

  it('has no tracked file that names a path outside the repository', () => {
    expect(tracked.length).toBeGreaterThan(100);
    const offenders: string[] = [];
    for (const file of tracked) {
      let text: string;
      try {
        text = readFileSync(repoPath(file), 'utf8');
      } catch {
        continue; // deleted in the work tree
      }
      for (const p of [...escapingPaths(file, text), ...outsideAbsolutePaths(text)]) offenders.push(`${file}: ${p}`);
    }
    expect(offenders).toEqual([]);
  });
});
