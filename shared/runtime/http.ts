import { type Context, Hono, type MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { FunctionContext, SluiceFunction } from './define.js';
import { type Answer, MAX_EVENT_BYTES, type Routes, eventRoutes, internalError, noRoute, serviceRoutes, tooLarge } from './routes.js';

/** The route tables of ./routes.ts in hono: single-process mode and the api's process. */

const reply = (c: Context, answer: Answer) => {
  const status = answer.status as ContentfulStatusCode;
  const headers = answer.headers ?? {};
  if (answer.text !== undefined)
    return c.text(answer.text, status, { ...headers, ...(answer.contentType ? { 'content-type': answer.contentType } : {}) });
  if (answer.json !== undefined) return c.json(answer.json, status, headers);
  return c.body(null, status, headers);
};

const limitStreamed = bodyLimit({ maxSize: MAX_EVENT_BYTES, onError: (c) => reply(c, tooLarge()) });

/**
 * Refuses a body over MAX_EVENT_BYTES. A declared Content-Length is checked here, as hono's
 * bodyLimit would, but without touching `c.req.raw.body` first: that makes
 * @hono/node-server build a whole WHATWG Request (its body stream, AbortSignal) and gives up
 * its direct read of the body, which was the largest cost of answering a duplicate event.
 * Chunked bodies go through bodyLimit, which counts them as they arrive.
 */
const limitBody: MiddlewareHandler = async (c, next) => {
  const declared = c.req.header('content-length');
  if (declared === undefined || c.req.header('transfer-encoding') !== undefined) return limitStreamed(c, next);
  if (!/^\d+$/.test(declared) || Number(declared) > MAX_EVENT_BYTES) return reply(c, tooLarge());
  await next();
};

function mount(app: Hono, routes: Routes): Hono {
  for (const [route, handle] of Object.entries(routes)) {
    const [method, path] = route.split(' ') as [string, string];
    if (method === 'GET') app.get(path, async (c) => reply(c, await handle({ headers: c.req.header(), body: '' })));
    else app.on(method, path, limitBody, async (c) => reply(c, await handle({ headers: c.req.header(), body: await c.req.text() })));
  }
  return app;
}

/** One function's CloudEvent endpoint, mounted at `/functions/<name>` in single-process mode. */
export function functionApp(fn: SluiceFunction, ctx: FunctionContext): Hono {
  return mount(new Hono(), eventRoutes(fn, ctx));
}

/** `/healthz`, `/readyz` and `/metrics`, and the answers to unknown routes and to errors. */
export function withServiceRoutes(app: Hono, ctx: Pick<FunctionContext, 'store' | 'kube'>): Hono {
  mount(app, serviceRoutes(ctx));
  app.onError((err, c) => reply(c, internalError(err)));
  app.notFound((c) => reply(c, noRoute(c.req.method, c.req.path)));
  return app;
}
