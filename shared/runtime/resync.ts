import { randomUUID } from 'node:crypto';
import { type FunctionContext, type SluiceFunction, type Subscription, labelMatcher, namespacesOf } from './define.js';
import type { KubeObject } from './events.js';
import { continueAfterExpiry, isUnavailable } from '../kube/client.js';
import { Unavailable } from './errors.js';
import { listPage } from './list.js';
import { LOCK_TTL_MS, runStep } from './step.js';

const PAGE = 500;
/** Objects stepped at once: the API server (on 2 cores, with etcd) is the limit, not latency. */
const CONCURRENCY = 16;
/**
 * Objects whose step could not run for a passing reason (a lock still held by a process that
 * died, a dependency away) are tried again for this long: past a dead holder's lock expiry.
 */
const RETRY_FOR_MS = 2 * LOCK_TTL_MS;

/**
 * Every object a subscription covers, page by page. Stepping through thousands of objects can
 * outlast the list's continue token (etcd compacts every 5 minutes): the list then goes on
 * from where it was at a newer version, which a resync may (an object changed since its page
 * was read comes with an event of its own); starting over would never end on a large installation.
 */
export async function* listSubscribed(sub: Subscription, ctx: FunctionContext): AsyncGenerator<KubeObject> {
  const scope = namespacesOf(sub.scope, ctx.settings);
  const namespaces = scope === 'all' ? [undefined] : scope;
  const matches = labelMatcher(sub.labelSelector);
  for (const namespace of namespaces) {
    let continueToken: string | undefined;
    do {
      let page;
      try {
        page = await listPage(ctx.kube, sub.resource, namespace, { labelSelector: sub.labelSelector, limit: PAGE, continueToken });
      } catch (err) {
        const resume = continueToken && continueAfterExpiry(err);
        if (!resume) throw err;
        ctx.log.info({ resource: sub.resource.plural }, 'resync: the list expired while paging; going on from where it was');
        continueToken = resume;
        continue;
      }
      for (const object of page.items) if (matches(object.metadata.labels)) yield object;
      continueToken = page.continueToken;
    } while (continueToken);
  }
}

export interface ResyncSummary {
  objects: number;
  /** Passed by as listed: the function's `settled` found nothing for its step to do. */
  settled: number;
  handled: number;
  failed: number;
}

/**
 * Level-triggered repair: runs the function's step for every object it subscribes to, as
 * if each had just been updated. Bypasses the duplicate check on purpose: what a resync
 * repairs (a deleted RoleBinding, a lost event) does not show in the object's version. An
 * object the function finds settled as listed is passed by (its step would skip it).
 */
export async function resync(fn: SluiceFunction, ctx: FunctionContext): Promise<ResyncSummary> {
  const summary: ResyncSummary = { objects: 0, settled: 0, handled: 0, failed: 0 };
  const seen = new Set<string>();
  const inFlight = new Set<Promise<void>>();
  /** Objects to try again: their step failed for a passing reason. */
  let again: { object: KubeObject; verb: 'add' | 'update' }[] = [];

  const step = (object: KubeObject, verb: 'add' | 'update', last: boolean) => {
    const ref = {
      apiVersion: object.apiVersion,
      kind: object.kind,
      name: object.metadata.name,
      ...(object.metadata.namespace ? { namespace: object.metadata.namespace } : {}),
    };
    const run = runStep(fn, { mode: 'resource', verb, id: `resync-${randomUUID()}`, source: 'sluice/resync', ref, object }, ctx, {
      force: true,
    })
      .then((o) => {
        if (o.result === 'handled') summary.handled++;
      })
      .catch((err: unknown) => {
        if (!last && (err instanceof Unavailable || isUnavailable(err))) {
          again.push({ object, verb });
          return;
        }
        summary.failed++;
        ctx.log.warn({ object: ref, reason: (err as Error).message }, 'resync step failed');
      })
      .finally(() => inFlight.delete(run));
    inFlight.add(run);
    return inFlight.size >= CONCURRENCY ? Promise.race(inFlight) : undefined;
  };

  const deadline = Date.now() + RETRY_FOR_MS;
  for (const sub of fn.subscriptions) {
    if (sub.resync === false || (!sub.verbs.includes('update') && !sub.verbs.includes('add'))) continue;
    const verb = sub.verbs.includes('update') ? 'update' : 'add';
    for await (const object of listSubscribed(sub, ctx)) {
      const uid = object.metadata.uid ?? `${object.metadata.namespace}/${object.metadata.name}`;
      if (seen.has(uid)) continue;
      seen.add(uid);
      summary.objects++;
      if (fn.settled?.(object)) summary.settled++;
      else await step(object, verb, false);
    }
  }
  await Promise.all(inFlight);
  // Rounds for what could not run yet, a second apart, until the deadline (the last round counts failures).
  while (again.length > 0) {
    await new Promise((r) => setTimeout(r, 1000));
    const round = again;
    again = [];
    const last = Date.now() > deadline;
    for (const { object, verb } of round) await step(object, verb, last);
    await Promise.all(inFlight);
  }
  return summary;
}
