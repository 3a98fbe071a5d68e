import type { FunctionContext, SluiceFunction } from './define.js';
import { dispatch } from './dispatch.js';
import { BadInput, errorBody } from './errors.js';
import { decodeHttpEvent } from './events.js';
import { registry } from './metrics.js';
import { resync } from './resync.js';

/**
 * A function's HTTP surface as plain request → answer handlers, whatever serves them: a
 * function's container serves them with node:http (./server.ts), single-process mode and
 * the api mount them in hono (./http.ts).
 */

/** The largest CloudEvent accepted: a Kubernetes object is at most ~1.5 MiB in etcd. */
export const MAX_EVENT_BYTES = 3 * 1024 * 1024;

export interface Answer {
  status: number;
  /** Sent as JSON, unless `text` is given. */
  json?: unknown;
  text?: string;
  contentType?: string;
}

export interface RouteRequest {
  /** Lower-case names. */
  headers: Record<string, string>;
  body: string;
}

/** `METHOD /path` → handler. */
export type Routes = Record<string, (req: RouteRequest) => Promise<Answer>>;

export const tooLarge = (): Answer => ({ status: 413, json: errorBody(413, `request body exceeds ${MAX_EVENT_BYTES} bytes`) });
export const noRoute = (method: string, path: string): Answer => ({ status: 404, json: errorBody(404, `no route for ${method} ${path}`) });
/** Never a stack trace in an answer; the message only. */
export const internalError = (err: unknown): Answer => ({ status: 500, json: errorBody(500, `internal error: ${(err as Error).message}`) });

/**
 * `POST /` takes a CloudEvent (binary or structured mode), `POST /resync` runs a full
 * level-triggered resync on demand.
 */
export function eventRoutes(fn: SluiceFunction, ctx: FunctionContext): Routes {
  return {
    'POST /': async ({ headers, body }) => {
      let event;
      try {
        event = decodeHttpEvent(headers, body);
      } catch (err) {
        if (!(err instanceof BadInput)) throw err;
        ctx.log.info({ function: fn.name, reason: err.message }, 'malformed event');
        return { status: err.status, json: { function: fn.name, outcome: 'bad_input', reason: err.message } };
      }
      const reply = await dispatch(fn, event, ctx);
      return { status: reply.status, json: reply.body };
    },
    'POST /resync': async () => {
      const summary = await resync(fn, ctx);
      return { status: summary.failed > 0 ? 503 : 200, json: { function: fn.name, ...summary } };
    },
  };
}

/** Everything a function's container serves: its events and the service routes. */
export function functionRoutes(fn: SluiceFunction, ctx: FunctionContext): Routes {
  return { ...serviceRoutes(ctx), ...eventRoutes(fn, ctx) };
}

/** `/healthz` (alive), `/readyz` (dependencies answer) and `/metrics`, for any Sluice process. */
export function serviceRoutes(ctx: Pick<FunctionContext, 'store' | 'kube'>): Routes {
  return {
    'GET /healthz': async () => ({ status: 200, json: { status: 'ok' } }),
    'GET /readyz': async () => {
      try {
        await ctx.store.ping();
        await ctx.kube.ping();
        return { status: 200, json: { status: 'ready' } };
      } catch (err) {
        return { status: 503, json: { status: 'unavailable', reason: (err as Error).message } };
      }
    },
    'GET /metrics': async () => ({ status: 200, text: await registry.metrics(), contentType: registry.contentType }),
  };
}
