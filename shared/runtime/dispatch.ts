import { apiMessage, isUnavailable } from '../kube/client.js';
import { lazyChild } from '../log.js';
import { type FunctionContext, type SluiceFunction, refKey } from './define.js';
import { BadInput, Unavailable } from './errors.js';
import type { ForeignEvent, SluiceEvent } from './events.js';
import { eventsTotal, stepSeconds } from './metrics.js';
import { isRecheck, recheck } from './rechecks.js';
import { resync } from './resync.js';
import { runStep } from './step.js';
import { adapterReady, isAdapterPod, streamName } from './streams.js';

/**
 * What a function answers for one event; `status` is the HTTP status the Broker sees. Over
 * HTTP a 2xx reply has an empty body (see ./routes.ts): Knative's broker filter takes a
 * non-empty reply that is not a CloudEvent as a failed delivery.
 */
export interface Reply {
  status: number;
  function: string;
  eventId: string;
  outcome: string;
  reason?: string;
}

/** How long the record that a function resynced for an adapter's readiness is kept: past any redelivery. */
const ADAPTER_READY_TTL_MS = 24 * 60 * 60 * 1000;

function classify(err: unknown): { status: number; outcome: string; reason: string } {
  if (err instanceof BadInput) return { status: err.status, outcome: 'bad_input', reason: err.message };
  if (err instanceof Unavailable || isUnavailable(err)) {
    return { status: 503, outcome: 'unavailable', reason: apiMessage(err) };
  }
  return { status: 500, outcome: 'error', reason: `internal error: ${apiMessage(err)}` };
}

/** Answers one decoded event for `fn`, never throwing: every failure becomes a Reply. */
export async function dispatch(fn: SluiceFunction, event: SluiceEvent | ForeignEvent, ctx: FunctionContext): Promise<Reply> {
  const started = performance.now();
  const reply = (status: number, outcome: string, reason?: string): Reply => {
    eventsTotal.inc({ function: fn.name, outcome });
    stepSeconds.observe({ function: fn.name }, (performance.now() - started) / 1000);
    return { status, function: fn.name, eventId: event.id, outcome, ...(reason ? { reason } : {}) };
  };
  const log = lazyChild(ctx.log, { function: fn.name, eventId: event.id, ...('ref' in event ? { object: refKey(event.ref) } : {}) });
  try {
    if (event.mode === 'foreign') return reply(200, 'skipped', `not ours: event type ${event.type}`);
    if (event.mode === 'ping' && isRecheck(event.data)) {
      const summary = await recheck(fn, { ...ctx, log });
      log.debug(summary, 'recheck');
      return summary.failed > 0
        ? reply(503, 'unavailable', `recheck: ${summary.failed} of ${summary.due} objects failed; retry`)
        : reply(200, summary.due > 0 ? 'handled' : 'skipped', `recheck: ${summary.due} objects due`);
    }
    if (event.mode === 'ping') {
      const summary = await resync(fn, { ...ctx, log });
      log.info(summary, 'resync');
      return summary.failed > 0
        ? reply(503, 'unavailable', `resync: ${summary.failed} of ${summary.objects} objects failed; retry`)
        : reply(200, 'handled', `resync: ${summary.objects} objects`);
    }
    if (event.mode === 'resource' && isAdapterPod(event.object)) {
      const ready = adapterReady(event.object, fn.subscriptions.map(streamName));
      if (!ready) return reply(200, 'skipped', "not a ready adapter of this function's events");
      // Once per readiness of that pod, however many status updates and redeliveries follow.
      const claim = `adapter-ready/${fn.name}/${ready.key}`;
      if (!(await ctx.store.claim(claim, ADAPTER_READY_TTL_MS)))
        return reply(200, 'skipped', `resync after ${ready.source} restarted: already done`);
      const summary = await resync(fn, { ...ctx, log }).catch(async (err: unknown) => {
        await ctx.store.forget(claim);
        throw err;
      });
      log.info({ ...summary, source: ready.source }, 'resync: event source restarted');
      if (summary.failed > 0) {
        await ctx.store.forget(claim);
        return reply(
          503,
          'unavailable',
          `resync after ${ready.source} restarted: ${summary.failed} of ${summary.objects} objects failed; retry`,
        );
      }
      return reply(200, 'handled', `resync after ${ready.source} restarted: ${summary.objects} objects`);
    }
    const outcome = await runStep(fn, event, { ...ctx, log });
    if (outcome.recheck && ctx.rechecks) {
      // The state is recorded already: a recheck stream that cannot be armed now is armed by the next step or resync.
      await ctx.rechecks.arm(fn.name).catch((err: unknown) => log.warn({ reason: (err as Error).message }, 'recheck not armed'));
    }
    // The outcome is in the logs and a header of the (empty) reply; a skip is routine.
    log[outcome.result === 'handled' ? 'info' : 'debug']({ outcome: outcome.result, reason: outcome.reason }, 'step');
    return reply(200, outcome.result, outcome.reason);
  } catch (err) {
    const c = classify(err);
    if (c.status >= 500) log.warn({ err: c.status === 500 ? err : undefined, reason: c.reason }, 'step failed');
    else log.info({ reason: c.reason }, 'bad input');
    return reply(c.status, c.outcome, c.reason);
  }
}
