/**
 * The container's entry (`node dist/function.cjs`): runs the function bundle
 * (dist/lib/function.cjs, bin/function.ts) with V8's code cache.
 *
 * Half of a function's cold start was V8 compiling the bundle's 3 MB of JavaScript. The
 * image build runs `node dist/function.cjs --write-code-cache`, which, for each function,
 * loads that function's code (SLUICE_LOAD_ONLY) and saves the bytecode V8 made for it; a
 * container then starts from its function's cache. One cache per function, not one for all:
 * V8 reads a whole cache at start, and the api's code is most of what there is to cache.
 * Node 22's module.enableCompileCache does the same for ES modules; on Node 20 only a
 * CommonJS script compiled through node:vm can be given cached data.
 *
 * V8 refuses a cache made by another Node version or with other V8 flags (NODE_OPTIONS),
 * so the file name carries both, and a refused or missing cache just means compiling as
 * usual. The image's file system is read-only: the cache is only ever written at build.
 * NODE_DEBUG=sluice prints whether the cache was used.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire, wrap } from 'node:module';
import { dirname, join } from 'node:path';
import { debuglog } from 'node:util';
import { Script } from 'node:vm';

/** Every function's name, put in by scripts/build.ts. */
declare const SLUICE_FUNCTION_NAMES: string[];

const bundle = join(dirname(process.argv[1]!), 'lib', 'function.cjs');
const flags = [...process.execArgv, process.env.NODE_OPTIONS ?? ''].join(' ');
const key = createHash('sha256').update(`${process.version} ${flags}`).digest('hex').slice(0, 12);
const fn = process.env.SLUICE_FUNCTION ?? '';
const cacheFile = `${bundle}.${fn}.${key}.v8cache`;
const writing = process.argv.includes('--write-code-cache');

if (writing && !SLUICE_FUNCTION_NAMES.includes(fn)) {
  // Without a function named: one cache for each, written by a process of its own.
  for (const name of SLUICE_FUNCTION_NAMES) {
    const r = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
      stdio: 'inherit',
      env: { ...process.env, SLUICE_FUNCTION: name },
    });
    if (r.status !== 0) process.exit(r.status ?? 1);
  }
  process.exit(0);
}

/**
 * Compiles the bundle, from the cache when V8 takes it; the cache's buffer is not kept. The
 * bundle is pure ASCII (scripts/build.ts checks), so latin1 reads it as UTF-8 would, faster.
 */
function compile(useCache: boolean): Script {
  const cachedData = useCache && existsSync(cacheFile) ? readFileSync(cacheFile) : undefined;
  const script = new Script(wrap(readFileSync(bundle, 'latin1')), { filename: bundle, ...(cachedData ? { cachedData } : {}) });
  debuglog('sluice')('code cache %s: %s', cacheFile, !cachedData ? 'none' : script.cachedDataRejected ? 'rejected' : 'accepted');
  return script;
}

const script = compile(!writing);
if (writing) {
  process.env.SLUICE_LOAD_ONLY = '1';
  // Once every function's code has loaded and the event loop is empty: what ran is in the cache.
  process.once('beforeExit', () => {
    writeFileSync(`${cacheFile}.tmp`, script.createCachedData());
    renameSync(`${cacheFile}.tmp`, cacheFile);
    console.log(`code cache written: ${cacheFile}`);
  });
}
const loaded = { exports: {} };
(script.runInThisContext() as (...args: unknown[]) => void).call(
  loaded.exports,
  loaded.exports,
  createRequire(bundle),
  loaded,
  bundle,
  dirname(bundle),
);
