import { Hono } from 'hono';
import type { Logger } from 'pino';
import type { Settings } from '../config.js';
import type { Kube } from '../kube/client.js';
import { PlatformCrs } from '../kube/platform-crs.js';
import type { FunctionContext, SluiceFunction } from './define.js';
import { dispatch } from './dispatch.js';
import { InProcessEventSource } from './event-source.js';
import { functionApp } from './http.js';
import { DeliveryQueue } from './queue.js';
import { RECHECK_DATA, TimerRechecks } from './rechecks.js';
import { resync } from './resync.js';
import type { CoordinationStore } from './store.js';

export function createContext(settings: Settings, kube: Kube, store: CoordinationStore, log: Logger): FunctionContext {
  return { settings, kube, crs: new PlatformCrs(kube, settings.platformNamespace), store, log };
}

/** Mounts each function's CloudEvent endpoint at `/functions/<name>`. */
export function mountFunctions(app: Hono, functions: readonly SluiceFunction[], ctx: FunctionContext): Hono {
  for (const fn of functions) app.route(`/functions/${fn.name}`, functionApp(fn, ctx));
  return app;
}

/**
 * All functions in one process, fed by the in-process event source (single-process mode
 * and end-to-end tests): the same dispatch path an HTTP-delivered event takes. What changed
 * while no watch was open is repaired as Knative's functions repair it: a resync of every
 * function when the events (re)start, and of a stream's functions when that stream re-lists.
 */
export class InProcessRunner {
  readonly queue: DeliveryQueue;
  readonly ctx: FunctionContext;
  readonly #byName: Map<string, SluiceFunction>;
  readonly #rechecks: TimerRechecks;
  #source: InProcessEventSource | undefined;
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
  }

  /** Watches open now (none while stopped). */
  get watching(): number {
    return this.#source?.watching ?? 0;
  }

  /**
   * Starts watching, then resyncs every function once (the watches send nothing for what
   * already exists or changed while they were stopped), then again every `resyncEveryMs`
   * (PingSource's job). Can be called again after stop().
   */
  async start(opts: { resyncEveryMs?: number } = {}): Promise<void> {
    this.#source = new InProcessEventSource(
      this.ctx.kube,
      this.ctx.settings,
      this.ctx.log,
      (event, name) => this.queue.push(event, name),
      (names) => void this.resyncAll(names.map((n) => this.#byName.get(n)!)),
    );
    await this.#source.start(this.functions);
    await this.resyncAll();
    if (opts.resyncEveryMs) {
      this.#timer = setInterval(() => void this.resyncAll(), opts.resyncEveryMs);
      this.#timer.unref();
    }
  }

  async resyncAll(functions: readonly SluiceFunction[] = this.functions): Promise<void> {
    for (const fn of functions) {
      try {
        await resync(fn, this.ctx);
      } catch (err) {
        this.ctx.log.warn({ function: fn.name, reason: (err as Error).message }, 'resync failed');
      }
    }
  }

  /** Stops the events and the periodic resync; steps already queued still run. */
  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#source?.stop();
    this.#source = undefined;
  }

  /** stop(), and no more deliveries or rechecks. */
  close(): void {
    this.stop();
    this.#rechecks.stop();
    this.queue.stop();
  }
}
