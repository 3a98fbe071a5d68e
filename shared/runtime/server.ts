import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import { type Answer, MAX_EVENT_BYTES, type Routes, internalError, noRoute, tooLarge } from './routes.js';

/**
 * Serves a route table (./routes.ts) with node:http, as a function's container does. Not
 * with hono's Node adapter: that extends the global Request and Response when it loads,
 * which makes Node load its fetch implementation (undici), ~19 ms of a cold start and
 * ~2 MB of heap, for a handful of fixed routes that need neither. The REST API, with its
 * many routes, stays on hono.
 */
export function routesServer(routes: Routes): Server {
  return createServer((req, res) => {
    const path = (req.url ?? '/').split('?', 1)[0]!;
    const route = routes[`${req.method} ${path}`];
    if (!route) {
      req.resume();
      return send(res, noRoute(req.method ?? '', path));
    }
    readBody(req).then(
      (body) => {
        if (body === OVER_LIMIT) return send(res, tooLarge(), !req.complete);
        route({ headers: headersOf(req), body }).then(
          (answer) => send(res, answer),
          (err: unknown) => send(res, internalError(err)),
        );
      },
      (err: unknown) => res.destroy(err as Error),
    );
  });
}

const OVER_LIMIT = Symbol('over the limit');

/**
 * The body as UTF-8, or OVER_LIMIT as soon as it is known to exceed MAX_EVENT_BYTES: at
 * once for a declared Content-Length (the unread body is then discarded by Node, which keeps
 * the connection), else when the bytes counted so far pass it.
 */
function readBody(req: IncomingMessage): Promise<string | typeof OVER_LIMIT> {
  if (Number(req.headers['content-length'] ?? 0) > MAX_EVENT_BYTES) return Promise.resolve(OVER_LIMIT);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_EVENT_BYTES) return void chunks.push(chunk);
      req.off('data', onData);
      resolve(OVER_LIMIT);
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks, size).toString('utf8')));
    req.once('error', reject);
  });
}

function headersOf(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers))
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  return headers;
}

/** `close`: the request's body is still arriving and will not be read; end the connection. */
function send(res: ServerResponse, answer: Answer, close = false): void {
  const body = answer.text ?? (answer.json === undefined ? '' : JSON.stringify(answer.json));
  const contentType =
    answer.contentType ??
    (answer.text !== undefined ? 'text/plain; charset=UTF-8' : answer.json !== undefined ? 'application/json' : undefined);
  res.writeHead(answer.status, {
    ...answer.headers,
    ...(contentType ? { 'content-type': contentType } : {}),
    'content-length': Buffer.byteLength(body),
    ...(close ? { connection: 'close' } : {}),
  });
  res.end(body);
}
