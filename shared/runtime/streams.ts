import { createHash } from 'node:crypto';
import { PODS } from '../kube/resources.js';
import type { Subscription } from './define.js';
import type { KubeObject } from './events.js';

/**
 * Event streams: one ApiServerSource per distinct (resource, scope, label selector, mode) of
 * the functions' subscriptions (scripts/generate-manifests.ts makes them), and what repairs
 * the events a stream missed while its adapter was down (ARCHITECTURE.md, "Missed events").
 */

const hash = (s: string, n = 6) => createHash('sha256').update(s).digest('hex').slice(0, n);

/** A DNS-label name: kept as is up to 63 characters, else shortened with a hash of the whole. */
export function k8sName(name: string, max = 63): string {
  if (name.length <= max) return name;
  return `${name.slice(0, max - 7).replace(/-+$/, '')}-${hash(name)}`;
}

/** A label selector's terms in one order, so that equal selectors make one stream. */
export const normalSelector = (s: string | undefined) =>
  (s ?? '')
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean)
    .sort()
    .join(',');

/** The name of the stream (its ApiServerSource) that carries a subscription's events. */
export function streamName(sub: Pick<Subscription, 'resource' | 'scope' | 'labelSelector' | 'mode'>): string {
  const selector = normalSelector(sub.labelSelector);
  return k8sName(
    `sluice-src-${sub.resource.plural}-${sub.scope}${selector ? `-${hash(selector)}` : ''}${sub.mode === 'reference' ? '-ref' : ''}`,
  );
}

/** The labels Knative's ApiServerSource controller puts on each adapter's pods. */
export const ADAPTER_SOURCE_LABEL = 'eventing.knative.dev/source';
export const ADAPTER_CONTROLLER = 'apiserver-source-controller';
export const ADAPTER_SOURCE_NAME_LABEL = 'eventing.knative.dev/sourceName';

/**
 * What every event function also subscribes to on Knative: the pods of the platform
 * namespace's ApiServerSource adapters. A restarted adapter sends nothing for what changed
 * while it was down (it lists, then only watches), so when an adapter's pod becomes ready,
 * the functions it feeds resync. Not a subscription of the functions' own (single-process
 * mode has no adapters; the in-process event source's re-lists start the resync there).
 */
export const ADAPTER_PODS: Subscription = {
  resource: PODS,
  verbs: ['update'],
  mode: 'resource',
  scope: 'platform',
  labelSelector: `${ADAPTER_SOURCE_LABEL}=${ADAPTER_CONTROLLER}`,
  resync: false,
};

/** Whether an object is the pod of an ApiServerSource adapter. */
export const isAdapterPod = (object: KubeObject): boolean =>
  object.apiVersion === 'v1' && object.kind === 'Pod' && object.metadata.labels?.[ADAPTER_SOURCE_LABEL] === ADAPTER_CONTROLLER;

/**
 * Whether an adapter pod's event means `fn`'s events may have been missed: the pod runs the
 * adapter of one of `streams`, is ready, and is not going away. `key` names this readiness
 * (the pod and when it became ready), so that the status updates that follow it, and
 * redeliveries, resync once.
 *
 * A deleted pod's first update (its deletionTimestamp set) still says Ready, and its readiness
 * may never have been seen (the adapter of the adapter pods started after it, or the record
 * expired). But its adapter is stopping, not back: nothing has been missed yet, so a resync
 * then would list and step every object for nothing.
 */
export function adapterReady(pod: KubeObject, streams: readonly string[]): { source: string; key: string } | undefined {
  const source = pod.metadata.labels?.[ADAPTER_SOURCE_NAME_LABEL];
  if (!source || !streams.includes(source) || pod.metadata.deletionTimestamp) return undefined;
  const status = (pod as { status?: { conditions?: { type?: string; status?: string; lastTransitionTime?: string }[] } }).status;
  const ready = status?.conditions?.find((c) => c.type === 'Ready');
  if (ready?.status !== 'True') return undefined;
  return { source, key: `${pod.metadata.uid ?? pod.metadata.name}/${ready.lastTransitionTime ?? ''}` };
}
