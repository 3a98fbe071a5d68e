import type { Logger } from 'pino';
import type { Settings } from '../config.js';
import type { Kube } from '../kube/client.js';
import { PlatformCrs } from '../kube/platform-crs.js';
import type { ResourceType } from '../kube/resources.js';
import type { KubeObject, ObjectRef, SluiceEvent, Verb } from './events.js';
import type { Rechecks } from './rechecks.js';
import type { CoordinationStore } from './store.js';

/**
 * Where a subscription's objects live: Sluice's own namespace, the operator's watched
 * namespaces, or every namespace (narrowed by a label selector).
 */
export type Scope = 'platform' | 'watched' | 'cluster';

/** Which events reach a function: declared once, read by the HTTP app, the in-process
 *  event source, and the Knative manifest generator. */
export interface Subscription {
  resource: ResourceType;
  verbs: readonly Verb[];
  /** ApiServerSource mode: the whole object, or only a reference to re-read. */
  mode: 'resource' | 'reference';
  scope: Scope;
  /** Equality-based selector, e.g. `system=ververica-platform`. */
  labelSelector?: string;
  /** false: a resync does not list these objects (e.g. pods cluster-wide); another subscription covers them. */
  resync?: boolean;
}

/** An RBAC rule a function needs; `scope` says where its Role is bound. */
export interface PermissionRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  /** Restricts the rule to these object names (e.g. `bind` on exactly some ClusterRoles). */
  resourceNames?: string[];
  scope: Scope | 'targets';
}

export type ObjectEvent = Extract<SluiceEvent, { mode: 'resource' | 'reference' }>;

export interface Outcome {
  result: 'handled' | 'skipped';
  reason?: string;
  /** The object is in a transition no Kubernetes event will announce: look again soon (./rechecks.ts). */
  recheck?: boolean;
}

export interface FunctionContext {
  kube: Kube;
  /** Typed clients of Sluice's custom resources in the platform namespace. */
  crs: PlatformCrs;
  store: CoordinationStore;
  settings: Settings;
  log: Logger;
  /** How a step's `recheck` is carried out where this runs; without it, the periodic resync looks again. */
  rechecks?: Rechecks;
}

export function createContext(settings: Settings, kube: Kube, store: CoordinationStore, log: Logger): FunctionContext {
  return { settings, kube, crs: new PlatformCrs(kube, settings.platformNamespace), store, log };
}

export interface SluiceFunction {
  name: string;
  description: string;
  subscriptions: readonly Subscription[];
  permissions: readonly PermissionRule[];
  /** The object whose lock serialises this step (default: the event's object). */
  lockKey?(event: ObjectEvent): string;
  /** The objects a recheck ping runs the step for again (./rechecks.ts): of a subscribed resource. */
  recheck?: { resource: ResourceType; due(object: KubeObject): boolean };
  /**
   * Whether an object, as a resync lists it, needs no step: the step would read it again and
   * skip it for this same reason. A resync passes such an object by, without its lock or a read.
   */
  settled?(object: KubeObject): boolean;
  /** One level-triggered reconcile step for the object the event names. */
  handle(event: ObjectEvent, ctx: FunctionContext): Promise<Outcome>;
}

export function defineFunction(fn: SluiceFunction): SluiceFunction {
  if (!/^[a-z][a-zA-Z0-9]*$/.test(fn.name)) throw new Error(`function name '${fn.name}' must be camelCase`);
  if (fn.subscriptions.length === 0) throw new Error(`function '${fn.name}' subscribes to nothing`);
  return fn;
}

/**
 * Pepr-style subscription builder:
 * `when(PODS).isCreatedOrUpdated().withLabels('system=ververica-platform').in('cluster')`.
 */
export function when(resource: ResourceType) {
  const make = (s: Subscription) => ({
    ...s,
    withLabels: (labelSelector: string) => make({ ...s, labelSelector }),
    in: (scope: Scope) => make({ ...s, scope }),
    byReference: () => make({ ...s, mode: 'reference' }),
  });
  const on = (...verbs: Verb[]) => make({ resource, verbs, mode: 'resource', scope: 'platform' });
  return {
    isCreated: () => on('add'),
    isUpdated: () => on('update'),
    isCreatedOrUpdated: () => on('add', 'update'),
    isDeleted: () => on('delete'),
    isAnyChange: () => on('add', 'update', 'delete'),
  };
}

export const refKey = (ref: ObjectRef) => `${ref.apiVersion}/${ref.kind}/${ref.namespace ?? ''}/${ref.name}`;

const matchers = new Map<string, (labels: Record<string, string> | undefined) => boolean>();

/** Parses an equality-based label selector (`a=b,c!=d,e,!f`) into a predicate (parsed once per selector). */
export function labelMatcher(selector: string | undefined): (labels: Record<string, string> | undefined) => boolean {
  if (!selector) return () => true;
  let matcher = matchers.get(selector);
  if (!matcher) {
    matcher = parseSelector(selector);
    if (matchers.size < 1000) matchers.set(selector, matcher);
  }
  return matcher;
}

function parseSelector(selector: string): (labels: Record<string, string> | undefined) => boolean {
  const terms = selector
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean)
    .map((term) => {
      const ne = term.match(/^([^!=]+)!=(.*)$/);
      if (ne) return (l: Record<string, string>) => l[ne[1]!.trim()] !== ne[2]!.trim();
      const eq = term.match(/^([^!=]+)==?(.*)$/);
      if (eq) return (l: Record<string, string>) => l[eq[1]!.trim()] === eq[2]!.trim();
      if (term.startsWith('!')) return (l: Record<string, string>) => !(term.slice(1) in l);
      return (l: Record<string, string>) => term in l;
    });
  return (labels) => terms.every((t) => t(labels ?? {}));
}

export function namespacesOf(scope: Scope, settings: Settings): string[] | 'all' {
  if (scope === 'platform') return [settings.platformNamespace];
  if (scope === 'watched') return settings.watchedNamespaces;
  return 'all';
}

/** The subscription of `fn` an event falls under, if any. */
export function matchingSubscription(fn: SluiceFunction, event: ObjectEvent, settings: Settings): Subscription | undefined {
  const labels = event.mode === 'resource' ? event.object.metadata.labels : undefined;
  return fn.subscriptions.find((s) => {
    if (s.resource.kind !== event.ref.kind || s.resource.apiVersion !== event.ref.apiVersion) return false;
    if (!s.verbs.includes(event.verb)) return false;
    const namespaces = namespacesOf(s.scope, settings);
    if (namespaces !== 'all' && !namespaces.includes(event.ref.namespace ?? '')) return false;
    // A reference carries no labels: the handler re-reads and checks.
    return event.mode === 'reference' || labelMatcher(s.labelSelector)(labels);
  });
}

export type { KubeObject };
