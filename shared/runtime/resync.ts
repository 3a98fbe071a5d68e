import { randomUUID } from 'node:crypto';
import { type FunctionContext, type SluiceFunction, type Subscription, labelMatcher, namespacesOf } from './define.js';
import type { KubeObject } from './events.js';
import { listPage } from './list.js';
import { runStep } from './step.js';

const PAGE = 500;
/** Objects stepped at once: the API server (on 2 cores, with etcd) is the limit, not latency. */
const CONCURRENCY = 16;

/** Every object a subscription covers, page by page. */
export async function* listSubscribed(sub: Subscription, ctx: FunctionContext): AsyncGenerator<KubeObject> {
  const scope = namespacesOf(sub.scope, ctx.settings);
  const namespaces = scope === 'all' ? [undefined] : scope;
  const matches = labelMatcher(sub.labelSelector);
  for (const namespace of namespaces) {
    let continueToken: string | undefined;
    do {
      const page = await listPage(ctx.kube, sub.resource, namespace, { labelSelector: sub.labelSelector, limit: PAGE, continueToken });
      for (const object of page.items) if (matches(object.metadata.labels)) yield object;
      continueToken = page.continueToken;
    } while (continueToken);
  }
}

export interface ResyncSummary {
  objects: number;
  handled: number;
  failed: number;
}

/**
 * Level-triggered repair: runs the function's step for every object it subscribes to, as
 * if each had just been updated. Bypasses the duplicate check on purpose: what a resync
 * repairs (a deleted RoleBinding, a lost event) does not show in the object's version.
 */
export async function resync(fn: SluiceFunction, ctx: FunctionContext): Promise<ResyncSummary> {
  const summary: ResyncSummary = { objects: 0, handled: 0, failed: 0 };
  const seen = new Set<string>();
  const inFlight = new Set<Promise<void>>();
  for (const sub of fn.subscriptions) {
    if (sub.resync === false || (!sub.verbs.includes('update') && !sub.verbs.includes('add'))) continue;
    const verb = sub.verbs.includes('update') ? 'update' : 'add';
    for await (const object of listSubscribed(sub, ctx)) {
      const uid = object.metadata.uid ?? `${object.metadata.namespace}/${object.metadata.name}`;
      if (seen.has(uid)) continue;
      seen.add(uid);
      summary.objects++;
      const ref = {
        apiVersion: object.apiVersion,
        kind: object.kind,
        name: object.metadata.name,
        ...(object.metadata.namespace ? { namespace: object.metadata.namespace } : {}),
      };
      const step = runStep(fn, { mode: 'resource', verb, id: `resync-${randomUUID()}`, source: 'sluice/resync', ref, object }, ctx, { force: true })
        .then((o) => {
          if (o.result === 'handled') summary.handled++;
        })
        .catch((err: unknown) => {
          summary.failed++;
          ctx.log.warn({ object: ref, reason: (err as Error).message }, 'resync step failed');
        })
        .finally(() => inFlight.delete(step));
      inFlight.add(step);
      if (inFlight.size >= CONCURRENCY) await Promise.race(inFlight);
    }
  }
  await Promise.all(inFlight);
  return summary;
}
