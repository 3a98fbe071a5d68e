/**
 * Bundles the container's entry points with esbuild (npm run build):
 *
 *   dist/function.mjs      one function, chosen by SLUICE_FUNCTION (bin/function.ts)
 *   dist/event-relay.mjs   the OpenFaaS event relay (bin/event-relay.ts)
 *   dist/chunks/*.mjs      shared code and each function's own code, split so that a
 *                          function's container loads only that function (functions/index.ts
 *                          imports them dynamically)
 *
 * ESM, platform node, minified, every dependency bundled (the image needs no node_modules).
 *   npx tsx scripts/build.ts [--outdir dist] [--no-minify] [--metafile]
 */
import { cpSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { type Metafile, build as esbuild } from 'esbuild';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

export const ENTRY_POINTS = { function: 'bin/function.ts', 'event-relay': 'bin/event-relay.ts' };

/**
 * Bundled CommonJS dependencies call require() for Node built-ins and read __dirname: give
 * every output file (chunks included) what an ES module lacks.
 */
const BANNER = [
  "import { createRequire as __sluiceCreateRequire } from 'node:module';",
  "import { fileURLToPath as __sluiceFileURLToPath } from 'node:url';",
  "import { dirname as __sluiceDirname } from 'node:path';",
  'const require = __sluiceCreateRequire(import.meta.url);',
  'const __filename = __sluiceFileURLToPath(import.meta.url);',
  'const __dirname = __sluiceDirname(__filename);',
].join('\n');

export interface BuildOptions {
  outdir?: string;
  minify?: boolean;
  sourcemap?: boolean;
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
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    minify: opts.minify ?? true,
    sourcemap: opts.sourcemap ?? false,
    outExtension: { '.js': '.mjs' },
    chunkNames: 'chunks/[name]-[hash]',
    banner: { js: BANNER },
    // pino loads pino-pretty only for a pretty-printing transport, which Sluice never configures.
    external: ['pino-pretty'],
    legalComments: 'none',
    metafile: true,
    logLevel: 'warning',
  });
  copyAssets(result.metafile);
  // Node treats .mjs as ESM whatever the nearest package.json says; this keeps tools that look at dist/ agreeing.
  writeFileSync(join(outdir, 'package.json'), '{ "type": "module" }\n');
  return { outdir, metafile: result.metafile };
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

/**
 * The source files that an output loads before any dynamic import: what every container
 * pays for at start, whatever its function.
 */
export function staticClosure(metafile: Metafile, output: string): Set<string> {
  const inputs = new Set<string>();
  const seen = new Set<string>();
  const visit = (out: string) => {
    if (seen.has(out)) return;
    seen.add(out);
    const o = metafile.outputs[out];
    if (!o) return;
    for (const input of Object.keys(o.inputs)) inputs.add(input);
    for (const imp of o.imports) if (imp.kind === 'import-statement' && !imp.external) visit(imp.path);
  };
  visit(output);
  return inputs;
}

async function main() {
  const { values } = parseArgs({
    options: { outdir: { type: 'string' }, 'no-minify': { type: 'boolean', default: false }, metafile: { type: 'boolean', default: false } },
    strict: true,
  });
  const started = performance.now();
  const { outdir, metafile } = await build({ outdir: values.outdir, minify: !values['no-minify'] });
  if (values.metafile) writeFileSync(join(outdir, 'meta.json'), JSON.stringify(metafile));
  const bytes = Object.values(metafile.outputs).reduce((n, o) => n + o.bytes, 0);
  console.log(
    `built ${Object.keys(ENTRY_POINTS).map((e) => `${e}.mjs`).join(', ')} and ${Object.keys(metafile.outputs).length - 2} chunks ` +
      `(${(bytes / 1024).toFixed(0)} KiB) into ${outdir} in ${((performance.now() - started) / 1000).toFixed(1)}s`,
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    console.error(`build failed: ${(err as Error).message}`);
    process.exit(1);
  });
}
