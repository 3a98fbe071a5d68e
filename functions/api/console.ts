import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Context, Env, Hono } from 'hono';

/**
 * The web console: static ES modules and CSS from `./console/`, served by the REST API
 * function itself (same origin, same token auth, scales to zero with it). No build step:
 * the files are read once when the routes are registered and kept in memory (a few tens
 * of KiB). A bundle of the api function must copy `functions/api/console/` beside it, or
 * pass `dir`.
 *
 * Caching: `/` (index.html) is always revalidated (ETag, `no-cache`); it names the other
 * files under `/console/v-<version>/...`, where version is a hash of all of them, and those
 * are immutable for a year. Relative imports between the modules stay inside the versioned
 * folder, so an upgrade never mixes old and new files. Unversioned `/console/<file>` is
 * served too, revalidated like index.html.
 */

export const CONSOLE_DIR = fileURLToPath(new URL('./console/', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/** Everything the page may load or talk to is this origin; nothing inline. */
const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

const IMMUTABLE = 'public, max-age=31536000, immutable';
const REVALIDATE = 'no-cache';

interface Asset {
  body: Uint8Array;
  type: string;
  etag: string;
}

export interface ConsoleFiles {
  /** Hash of every file: the `v-<version>` path segment. */
  version: string;
  /** By path relative to the console folder, with '/' separators. */
  files: Map<string, Asset>;
}

function walk(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.')) continue;
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...walk(join(dir, entry.name), rel));
    else if (entry.isFile() && TYPES[extname(entry.name)]) out.push(rel);
  }
  return out.sort();
}

const etagOf = (body: Uint8Array) => `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;

/** Reads the console's files; index.html gets the version substituted for `%VERSION%`. */
export function loadConsole(dir: string = CONSOLE_DIR): ConsoleFiles {
  const raw = new Map<string, Buffer>();
  const all = createHash('sha256');
  for (const rel of walk(dir)) {
    const body = readFileSync(join(dir, rel));
    raw.set(rel, body);
    all.update(rel).update('\0').update(body).update('\0');
  }
  const version = all.digest('hex').slice(0, 12);
  const files = new Map<string, Asset>();
  for (const [rel, content] of raw) {
    const body = rel === 'index.html' ? Buffer.from(content.toString('utf8').replaceAll('%VERSION%', version)) : content;
    files.set(rel, { body, type: TYPES[extname(rel)]!, etag: etagOf(body) });
  }
  return { version, files };
}

function serve(c: Context, asset: Asset, cacheControl: string): Response {
  const headers: Record<string, string> = { 'cache-control': cacheControl, etag: asset.etag };
  if (asset.type.startsWith('text/html')) Object.assign(headers, SECURITY_HEADERS);
  const inm = c.req.header('if-none-match');
  if (inm && inm.split(',').some((t) => t.trim().replace(/^W\//, '') === asset.etag)) return c.body(null, 304, headers);
  return c.body(asset.body as Uint8Array<ArrayBuffer>, 200, { ...headers, 'content-type': asset.type });
}

const notFound = (c: Context, path: string) =>
  c.json({ kind: 'Error', status: 404, message: `no console file ${path}` }, 404, { 'cache-control': REVALIDATE });

/**
 * `GET /` → the console's index.html; `GET /console/*` → its files. Register before the
 * authenticated routes: static files need no token (the page asks for one and sends it
 * with every API call).
 */
export function consoleRoutes<E extends Env>(app: Hono<E>, opts: { dir?: string } = {}): Hono<E> {
  const dir = opts.dir ?? CONSOLE_DIR;
  let loaded: ConsoleFiles | undefined;
  try {
    loaded = loadConsole(dir);
  } catch (err) {
    // A packaging mistake must not take the REST API down with it: say so, and serve the API.
    console.warn(`the web console is not available: cannot read ${dir}: ${(err as Error).message}`);
  }
  const index = loaded?.files.get('index.html');
  if (!loaded || !index) {
    const missing = (c: Context) =>
      c.json(
        { kind: 'Error', status: 404, message: `the web console is not installed (no index.html in ${dir}); the REST API is at /api/v1` },
        404,
      );
    app.get('/', missing);
    app.get('/console/*', missing);
    return app;
  }
  const { version, files } = loaded;

  app.get('/', (c) => serve(c, index, REVALIDATE));
  app.get('/console', (c) => c.redirect('/', 301));
  app.get('/console/*', (c) => {
    let path = c.req.path.slice('/console/'.length);
    let cache = REVALIDATE;
    const versioned = path.match(/^v-([0-9a-f]+)\/(.*)$/);
    if (versioned) {
      path = versioned[2]!;
      // An older page asking for its own version gets today's file, revalidated, never pinned.
      if (versioned[1] === version) cache = IMMUTABLE;
    }
    if (path === '') return serve(c, index, REVALIDATE);
    const asset = files.get(path);
    return asset ? serve(c, asset, cache) : notFound(c, path);
  });
  return app;
}
