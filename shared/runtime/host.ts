import { Hono } from 'hono';
import type { Logger } from 'pino';
import type { Settings } from '../config.js';
import type { Kube } from '../kube.js';
import type { FunctionContext, SluiceFunction } from './define.js';
import { dispatch } from './dispatch.js';
import { InProcessEventSource } from './event-source.js';
import { functionApp } from './http.js';
import { DeliveryQueue } from './queue.js';
import { RECHECK_DATA, TimerRechecks } from './rechecks.js';
import { resync } from './resync.js';
import type { CoordinationStore } from './store.js';

export function createContext(settings: Settings, kube: Kube, store: CoordinationStore, log: Logger): FunctionContext {
  return { settings, kube, store, log };
}

/** Mounts each function's CloudEvent endpoint at `/functions/<name>`. */
export function mountFunctions(app: Hono, functions: readonly SluiceFunction[], ctx: FunctionContext): Hono {
  for (const fn of functions) app.route(`/functions/${fn.name}`, functionApp(fn, ctx));
  return app;
}

/**
 * All functions in one process, fed by the in-process event source (single-process mode
 * and end-to-end tests): the same dispatch path an HTTP-delivered event takes.
 */
export class InProcessRunner {
  readonly queue: DeliveryQueue;
  readonly source: InProcessEventSource;
  readonly ctx: FunctionContext;
  readonly #byName: Map<string, SluiceFunction>;
  readonly #rechecks: TimerRechecks;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    readonly functions: readonly SluiceFunction[],
    baseCtx: FunctionContext,
    opts: { recheckEveryMs?: number } = {},
  ) {
    this.#byName = new Map(functions.map((f) => [f.name, f]));
    // Rechecks are pings queued like any other event, so they share the queue's retries and limits.
    this.#rechecks = new TimerRechecks(
      (name) => this.queue.push({ mode: 'ping', id: `recheck-${name}`, source: 'sluice/recheck', data: RECHECK_DATA }, name),
      opts.recheckEveryMs,
    );
    // The caller's context itself (tests swap its logger), with the rechecks of this process.
    const ctx = Object.assign(baseCtx, { rechecks: this.#rechecks });
    this.ctx = ctx;
    this.queue = new DeliveryQueue((name, event) => dispatch(this.#byName.get(name)!, event, ctx), ctx.log);
    this.source = new InProcessEventSource(ctx.kube, ctx.settings, ctx.log, (event, name) => this.queue.push(event, name));
  }

  /**
   * Starts watching, then resyncs every function once (ApiServerSource sends nothing
   * for objects that already exist), then again every `resyncEveryMs` (PingSource's job).
   */
  async start(opts: { resyncEveryMs?: number } = {}): Promise<void> {
    await this.source.start(this.functions);
    await this.resyncAll();
    if (opts.resyncEveryMs) {
      this.#timer = setInterval(() => void this.resyncAll(), opts.resyncEveryMs);
      this.#timer.unref();
    }
  }

  async resyncAll(): Promise<void> {
    for (const fn of this.functions) {
      try {
        await resync(fn, this.ctx);
      } catch (err) {
        this.ctx.log.warn({ function: fn.name, reason: (err as Error).message }, 'resync failed');
      }
    }
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#rechecks.stop();
    this.source.stop();
    this.queue.stop();
  }
}
