import { randomUUID } from 'node:crypto';
import type { KubernetesObject } from '@kubernetes/client-node';
import { isAlreadyExists, isNotFound } from '../kube/client.js';
import { kebab } from './rbac.js';
import type { FunctionContext, SluiceFunction } from './define.js';
import { listSubscribed } from './resync.js';
import { runStep } from './step.js';

/**
 * Rechecks: a step whose object is in transition in a way no Kubernetes event will announce
 * (a Flink job starting or restarting: Flink's state changes, its pods do not) answers
 * `recheck: true`. That arms a short ping stream for the function; each ping runs the step
 * again for exactly the objects its `recheck.due` selects, and a ping that finds none due
 * disarms the stream. Nothing runs while nothing is in transition.
 *
 *   single-process mode: a timer in the process, every RECHECK_EVERY_MS;
 *   Knative: a PingSource per function (`sluice-recheck-<function>`), every minute (the
 *            finest cron schedule), created when armed and deleted when disarmed;
 *   elsewhere (OpenFaaS): none; the periodic resync looks again.
 */
export interface Rechecks {
  arm(fnName: string): Promise<void>;
  disarm(fnName: string): Promise<void>;
}

/** The ping data that asks for a recheck rather than a full resync. */
export const RECHECK_DATA = { recheck: true } as const;
export const isRecheck = (data: unknown): boolean =>
  typeof data === 'object' && data !== null && (data as { recheck?: unknown }).recheck === true;

export const RECHECK_EVERY_MS = 5_000;
export const RECHECK_SCHEDULE = '* * * * *';
export const recheckSourceName = (fnName: string) => `sluice-recheck-${kebab(fnName)}`;

export interface RecheckSummary {
  due: number;
  handled: number;
  failed: number;
}

/** Runs `fn`'s step for every object due for a recheck; none due disarms the stream. */
export async function recheck(fn: SluiceFunction, ctx: FunctionContext): Promise<RecheckSummary> {
  const summary: RecheckSummary = { due: 0, handled: 0, failed: 0 };
  if (!fn.recheck) return summary;
  const sub = fn.subscriptions.find(
    (s) => s.resource.kind === fn.recheck!.resource.kind && s.resource.apiVersion === fn.recheck!.resource.apiVersion,
  );
  if (!sub) throw new Error(`function ${fn.name}: recheck names ${fn.recheck.resource.kind}, which it does not subscribe to`);
  for await (const object of listSubscribed(sub, ctx)) {
    if (!fn.recheck.due(object)) continue;
    summary.due++;
    const ref = {
      apiVersion: object.apiVersion,
      kind: object.kind,
      name: object.metadata.name,
      ...(object.metadata.namespace ? { namespace: object.metadata.namespace } : {}),
    };
    try {
      const outcome = await runStep(
        fn,
        { mode: 'resource', verb: 'update', id: `recheck-${randomUUID()}`, source: 'sluice/recheck', ref, object },
        ctx,
        { force: true },
      );
      if (outcome.result === 'handled') summary.handled++;
    } catch (err) {
      summary.failed++;
      ctx.log.warn({ object: ref, reason: (err as Error).message }, 'recheck step failed');
    }
  }
  if (summary.due === 0) await ctx.rechecks?.disarm(fn.name);
  return summary;
}

/** Single-process mode: a timer per armed function that queues a recheck ping. */
export class TimerRechecks implements Rechecks {
  readonly #timers = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly ping: (fnName: string) => void,
    private readonly everyMs = RECHECK_EVERY_MS,
  ) {}

  async arm(fnName: string): Promise<void> {
    if (this.#timers.has(fnName)) return;
    const timer = setInterval(() => this.ping(fnName), this.everyMs);
    timer.unref();
    this.#timers.set(fnName, timer);
  }

  async disarm(fnName: string): Promise<void> {
    clearInterval(this.#timers.get(fnName));
    this.#timers.delete(fnName);
  }

  stop(): void {
    for (const t of this.#timers.values()) clearInterval(t);
    this.#timers.clear();
  }
}

/** Knative: a PingSource to the Broker, which a Trigger of the function's routes to it. */
export class PingSourceRechecks implements Rechecks {
  constructor(
    private readonly ctx: Pick<FunctionContext, 'kube' | 'settings'>,
    private readonly broker: string,
  ) {}

  #source(fnName: string): KubernetesObject & { spec: unknown } {
    return {
      apiVersion: 'sources.knative.dev/v1',
      kind: 'PingSource',
      metadata: {
        name: recheckSourceName(fnName),
        namespace: this.ctx.settings.platformNamespace,
        labels: { 'app.kubernetes.io/part-of': 'sluice', 'sluice.dev/function': fnName },
      },
      spec: {
        schedule: RECHECK_SCHEDULE,
        contentType: 'application/json',
        data: JSON.stringify(RECHECK_DATA),
        sink: { ref: { apiVersion: 'eventing.knative.dev/v1', kind: 'Broker', name: this.broker } },
      },
    };
  }

  async arm(fnName: string): Promise<void> {
    try {
      await this.ctx.kube.create(this.#source(fnName));
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
  }

  async disarm(fnName: string): Promise<void> {
    try {
      await this.ctx.kube.delete(this.#source(fnName));
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}
