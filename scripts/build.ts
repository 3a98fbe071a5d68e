/**
 * Bundles the container's entry points with esbuild (npm run build):
 *
 *   dist/function.cjs       the function container's entry (bin/start.ts): runs the bundle
 *                           below from V8's code cache
 *   dist/lib/function.cjs   one function, chosen by SLUICE_FUNCTION (bin/function.ts); each
 *                           function's own code is evaluated only when that function starts
 *                           (functions/index.ts imports them dynamically)
 *   dist/lib/function.cjs.<function>.<key>.v8cache   each function's code cache, for this
 *                           Node and these V8 flags
 *   dist/event-relay.cjs    the OpenFaaS event relay (bin/event-relay.ts)
 *
 * CommonJS (only a CommonJS script can be given V8 cached data on Node 20), platform node,
 * minified, every dependency bundled (the image needs no node_modules).
 *   npx tsx scripts/build.ts [--outdir dist] [--no-minify] [--metafile] [--no-code-cache]
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { type Metafile, type Plugin, build as esbuild } from 'esbuild';
import { FUNCTION_NAMES } from '../functions/index.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

export const ENTRY_POINTS = { function: 'bin/start.ts', 'lib/function': 'bin/function.ts', 'event-relay': 'bin/event-relay.ts' };

/** What `import.meta.url` means in a CommonJS output: the file's own URL. */
const BANNER = "var __sluiceImportMetaUrl = require('node:url').pathToFileURL(__filename).href;";

export interface BuildOptions {
  outdir?: string;
  minify?: boolean;
  sourcemap?: boolean;
  /** Write V8's code cache for the Node and NODE_OPTIONS of this process (default true). */
  codeCache?: boolean;
}

export async function build(opts: BuildOptions = {}): Promise<{ outdir: string; metafile: Metafile }> {
  const outdir = opts.outdir ?? join(ROOT, 'dist');
  rmSync(outdir, { recursive: true, force: true });
  mkdirSync(outdir, { recursive: true });
  const result = await esbuild({
    absWorkingDir: ROOT,
    entryPoints: ENTRY_POINTS,
    outdir,
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    minify: opts.minify ?? true,
    sourcemap: opts.sourcemap ?? false,
    outExtension: { '.js': '.cjs' },
    banner: { js: BANNER },
    define: { 'import.meta.url': '__sluiceImportMetaUrl', SLUICE_FUNCTION_NAMES: JSON.stringify(FUNCTION_NAMES) },
    // pino loads pino-pretty only for a pretty-printing transport, which Sluice never configures.
    external: ['pino-pretty'],
    legalComments: 'none',
    plugins: [nodeUrl, clientNodeWithoutSideEffects],
    metafile: true,
    logLevel: 'warning',
  });
  assertAscii(join(outdir, 'lib', 'function.cjs'));
  copyAssets(result.metafile);
  // Node treats .cjs as CommonJS whatever the nearest package.json says; this keeps tools that look at dist/ agreeing.
  writeFileSync(join(outdir, 'package.json'), '{ "type": "commonjs" }\n');
  if (opts.codeCache ?? true) writeCodeCache(outdir);
  return { outdir, metafile: result.metafile };
}

/**
 * client-node's node-fetch 2 takes `URL` from node:url and falls back to the whatwg-url
 * package only where Node has none; loading that package still costs ~280 KiB of bundle and
 * ~1.5 MB of heap at every start (tr46 builds its Unicode table). Node's own URL stands in.
 */
const nodeUrl: Plugin = {
  name: 'node-url-for-whatwg-url',
  setup(b) {
    b.onResolve({ filter: /^whatwg-url$/ }, () => ({ path: 'whatwg-url', namespace: 'node-url' }));
    b.onLoad({ filter: /.*/, namespace: 'node-url' }, () => ({
      contents: 'module.exports = { URL: require("node:url").URL };',
      loader: 'js',
    }));
  },
};

/**
 * client-node's package.json does not say `"sideEffects": false`, so esbuild keeps every module
 * its index re-exports (exec, attach, cp and port-forward with ws and tar, informers, metrics,
 * the auth providers' clients...) and each function evaluates them at start. Its modules only
 * declare classes, functions and constants (none is imported for its side effects alone), so
 * marking them side-effect free lets esbuild keep just what Sluice's imports reach.
 */
const clientNodeWithoutSideEffects: Plugin = {
  name: 'client-node-without-side-effects',
  setup(b) {
    const inClientNode = /[\\/]node_modules[\\/]@kubernetes[\\/]client-node[\\/]/;
    b.onResolve({ filter: /^@kubernetes\/client-node$/ }, async ({ path, kind, importer, resolveDir, pluginData }) => {
      if (pluginData === clientNodeWithoutSideEffects) return undefined; // the lookup below
      const r = await b.resolve(path, { kind, importer, resolveDir, pluginData: clientNodeWithoutSideEffects });
      return r.errors.length > 0 ? undefined : { path: r.path, sideEffects: false };
    });
    // Its modules import one another by relative paths with their extension (ES modules), so no lookup is needed.
    b.onResolve({ filter: /^\.\.?\// }, ({ path, importer }) =>
      inClientNode.test(importer) ? { path: resolve(dirname(importer), path), sideEffects: false } : undefined,
    );
  },
};

/**
 * V8 keeps a script's source for lazy compilation, as a one-byte string when every character
 * is Latin-1 and a two-byte one otherwise: a single non-ASCII character (esbuild leaves them
 * in regular expressions) doubles the bundle's 2.9 MB in every function's heap. Write such a
 * character as an escape (`\u00b5`) in the sources.
 */
function assertAscii(file: string) {
  const bytes = readFileSync(file);
  const at = bytes.findIndex((b) => b > 0x7f);
  if (at >= 0)
    throw new Error(`${file} is not pure ASCII at byte ${at}: ${JSON.stringify(bytes.toString('utf8', Math.max(0, at - 60), at + 10))}`);
}

/**
 * Loads each function's code once and saves its V8 code cache beside the bundle
 * (bin/start.ts), for node started with `nodeArgs` and `env` (NODE_OPTIONS).
 */
export function writeCodeCache(outdir: string, nodeArgs: string[] = [], env: NodeJS.ProcessEnv = process.env): void {
  const r = spawnSync(process.execPath, [...nodeArgs, join(outdir, 'function.cjs'), '--write-code-cache'], {
    encoding: 'utf8',
    timeout: 120_000,
    env,
  });
  if (r.status !== 0) throw new Error(`writing the code cache failed (exit ${r.status}): ${r.stderr || r.stdout}`);
}

/**
 * Files a module reads at run time relative to its own URL (`new URL('./x/', import.meta.url)`):
 * copied beside every output that holds that module's code.
 */
export const ASSETS: Record<string, string> = { 'functions/api/console.ts': 'functions/api/console' };

function copyAssets(metafile: Metafile) {
  for (const [module, dir] of Object.entries(ASSETS)) {
    const holders = Object.entries(metafile.outputs).filter(([, o]) => module in o.inputs);
    for (const [output] of holders) {
      const target = join(dirname(resolve(ROOT, output)), dir.split('/').pop()!);
      if (!existsSync(target)) cpSync(join(ROOT, dir), target, { recursive: true });
    }
  }
}

async function main() {
  const { values } = parseArgs({
    options: {
      outdir: { type: 'string' },
      'no-minify': { type: 'boolean', default: false },
      metafile: { type: 'boolean', default: false },
      'no-code-cache': { type: 'boolean', default: false },
    },
    strict: true,
  });
  const started = performance.now();
  const { outdir, metafile } = await build({ outdir: values.outdir, minify: !values['no-minify'], codeCache: !values['no-code-cache'] });
  if (values.metafile) writeFileSync(join(outdir, 'meta.json'), JSON.stringify(metafile));
  const bytes = Object.values(metafile.outputs).reduce((n, o) => n + o.bytes, 0);
  console.log(
    `built ${Object.keys(ENTRY_POINTS)
      .map((e) => `${e}.cjs`)
      .join(', ')} (${(bytes / 1024).toFixed(0)} KiB)` +
      `${values['no-code-cache'] ? '' : ' and the code cache'} into ${outdir} in ${((performance.now() - started) / 1000).toFixed(1)}s`,
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    console.error(`build failed: ${(err as Error).message}`);
    process.exit(1);
  });
}
