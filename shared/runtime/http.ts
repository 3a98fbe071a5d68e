import { type Context, Hono, type MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { FunctionContext, SluiceFunction } from './define.js';
import { dispatch } from './dispatch.js';
import { BadInput } from './errors.js';
import { decodeHttpEvent } from './events.js';
import { registry } from './metrics.js';
import { resync } from './resync.js';

/** The largest CloudEvent accepted: a Kubernetes object is at most ~1.5 MiB in etcd. */
export const MAX_EVENT_BYTES = 3 * 1024 * 1024;

const tooLargeReply = (c: Context) => c.json({ outcome: 'bad_input', reason: `request body exceeds ${MAX_EVENT_BYTES} bytes` }, 413);
const limitStreamed = bodyLimit({ maxSize: MAX_EVENT_BYTES, onError: tooLargeReply });

/**
 * Refuses a body over MAX_EVENT_BYTES. A declared Content-Length is checked here, as hono's
 * bodyLimit would, but without touching `c.req.raw.body` first: that makes
 * @hono/node-server build a whole WHATWG Request (its body stream, AbortSignal) and gives up
 * its direct read of the body, which was the largest cost of answering a duplicate event.
 * Chunked bodies go through bodyLimit, which counts them as they arrive.
 */
const tooLarge: MiddlewareHandler = async (c, next) => {
  const declared = c.req.header('content-length');
  if (declared === undefined || c.req.header('transfer-encoding') !== undefined) return limitStreamed(c, next);
  if (!/^\d+$/.test(declared) || Number(declared) > MAX_EVENT_BYTES) return tooLargeReply(c);
  await next();
};

/**
 * One function's HTTP surface: `POST /` takes a CloudEvent (binary or structured mode),
 * `POST /resync` runs a full level-triggered resync on demand.
 */
export function functionApp(fn: SluiceFunction, ctx: FunctionContext): Hono {
  const app = new Hono();
  app.post('/', tooLarge, async (c) => {
    let event;
    try {
      event = decodeHttpEvent(c.req.header(), await c.req.text());
    } catch (err) {
      if (!(err instanceof BadInput)) throw err;
      ctx.log.info({ function: fn.name, reason: err.message }, 'malformed event');
      return c.json({ function: fn.name, outcome: 'bad_input', reason: err.message }, err.status);
    }
    const reply = await dispatch(fn, event, ctx);
    return c.json(reply.body, reply.status as ContentfulStatusCode);
  });
  app.post('/resync', async (c) => {
    const summary = await resync(fn, ctx);
    return c.json({ function: fn.name, ...summary }, summary.failed > 0 ? 503 : 200);
  });
  return app;
}

/** `/healthz` (alive), `/readyz` (dependencies answer) and `/metrics`, for any Sluice process. */
export function serviceRoutes(app: Hono, ctx: Pick<FunctionContext, 'store' | 'kube'>): Hono {
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    try {
      await ctx.store.ping();
      await ctx.kube.ping();
      return c.json({ status: 'ready' });
    } catch (err) {
      return c.json({ status: 'unavailable', reason: (err as Error).message }, 503);
    }
  });
  app.get('/metrics', async (c) => c.text(await registry.metrics(), 200, { 'content-type': registry.contentType }));
  app.onError((err, c) => {
    // Never a stack trace in a response; the message only.
    return c.json({ outcome: 'error', reason: `internal error: ${err.message}` }, 500);
  });
  app.notFound((c) => c.json({ outcome: 'bad_input', reason: `no route for ${c.req.method} ${c.req.path}` }, 404));
  return app;
}
