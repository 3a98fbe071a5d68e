import type { FunctionContext, SluiceFunction } from './define.js';
import { type Reply, dispatch } from './dispatch.js';
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
  /** Sent as JSON, unless `text` is given; with neither, the body is empty. */
  json?: unknown;
  text?: string;
  contentType?: string;
  headers?: Record<string, string>;
}

export interface RouteRequest {
  /** Lower-case names. */
  headers: Record<string, string>;
  body: string;
}

/** `METHOD /path` → handler. */
export type Routes = Record<string, (req: RouteRequest) => Promise<Answer>>;

/** The header that names a reply's outcome (handled, skipped, bad_input, unavailable, error). */
export const OUTCOME_HEADER = 'sluice-outcome';
/** Why, in a header (printable ASCII, shortened): a 2xx reply has no body to say it in. */
export const REASON_HEADER = 'sluice-reason';

const headerSafe = (text: string) => text.replace(/[^\x20-\x7e]/g, '?').slice(0, 300);

/**
 * A reply to a CloudEvent over HTTP. Knative's broker filter accepts as a subscriber's reply
 * only an empty body or a CloudEvent: any other body turns a success into a 502 and the
 * event is retried and dead-lettered. So a 2xx reply carries its outcome in headers only;
 * a 4xx/5xx reply (a failure to the filter whatever its body) also says why in a JSON body.
 */
export function eventAnswer(reply: Reply): Answer {
  const headers = { [OUTCOME_HEADER]: reply.outcome, ...(reply.reason ? { [REASON_HEADER]: headerSafe(reply.reason) } : {}) };
  if (reply.status < 300) return { status: reply.status, headers };
  return {
    status: reply.status,
    headers,
    json: { function: reply.function, eventId: reply.eventId, outcome: reply.outcome, ...(reply.reason ? { reason: reply.reason } : {}) },
  };
}

/**
 * The Reply an HTTP answer to an event stands for (the inverse of eventAnswer), for whatever
 * delivers events over HTTP. An answer that is not a function's (a gateway's error page, say)
 * is `handled` when 2xx and `error` otherwise, its status and text as the reason.
 */
export function replyOfAnswer(
  fnName: string,
  eventId: string,
  status: number,
  header: (name: string) => string | null | undefined,
  text: string,
): Reply {
  const outcome = header(OUTCOME_HEADER);
  if (outcome) {
    let reason = header(REASON_HEADER) ?? undefined;
    try {
      reason = (JSON.parse(text) as { reason?: string }).reason ?? reason;
    } catch {
      // A 2xx reply has no body: the header's reason is all there is.
    }
    return { status, function: fnName, eventId, outcome, ...(reason ? { reason } : {}) };
  }
  return {
    status,
    function: fnName,
    eventId,
    outcome: status < 300 ? 'handled' : 'error',
    reason: `HTTP ${status}: ${text.slice(0, 200)}`,
  };
}

/** A request refused before any function saw it: the error body of the REST API, the outcome in headers as eventAnswer puts it. */
const refused = (status: number, reason: string): Answer => ({
  status,
  headers: { [OUTCOME_HEADER]: 'bad_input', [REASON_HEADER]: headerSafe(reason) },
  json: errorBody(status, reason),
});
export const tooLarge = (): Answer => refused(413, `request body exceeds ${MAX_EVENT_BYTES} bytes`);
export const noRoute = (method: string, path: string): Answer => refused(404, `no route for ${method} ${path}`);
/** Never a stack trace in an answer; the message only. */
export const internalError = (err: unknown): Answer => ({ status: 500, json: errorBody(500, `internal error: ${(err as Error).message}`) });

/**
 * `POST /` takes a CloudEvent (binary or structured mode) and answers as eventAnswer says,
 * `POST /resync` runs a full level-triggered resync on demand.
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
        return eventAnswer({
          status: err.status,
          function: fn.name,
          eventId: headers['ce-id'] ?? '',
          outcome: 'bad_input',
          reason: err.message,
        });
      }
      return eventAnswer(await dispatch(fn, event, ctx));
    },
    // Not a CloudEvent delivery (a PingSource's ping is one, answered by `POST /`): a summary.
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
