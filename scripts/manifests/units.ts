/** What gets deployed: the units (each function, and the api), their options and names, and the event streams they share. */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { apiUnit } from '../../functions/api/unit.js';
import { loadAll } from '../../functions/index.js';
import { serviceAccountName } from '../../shared/runtime/rbac.js';
import type { PermissionRule, SluiceFunction, Subscription } from '../../shared/runtime/define.js';
import { ADAPTER_PODS, normalSelector, streamName } from '../../shared/runtime/streams.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

export interface GeneratorOptions {
  /** Sluice's own namespace on Knative (SLUICE_PLATFORM_NAMESPACE). */
  platformNamespace: string;
  /**
   * The operator's watched namespaces (SLUICE_WATCHED_NAMESPACES): where `watched`-scope
   * subscriptions are watched and `watched`-scope permissions are bound. Default `default`,
   * which exists in every cluster, so that the manifests install as they are; list your
   * own with `--watched-namespaces` (they must exist before `kubectl apply`).
   */
  watchedNamespaces: string[];
  /** The one image every function (and the event relay) runs. */
  image: string;
  redisImage: string;
  /** OpenFaaS: the functions' namespace, which is also Sluice's platform namespace there. */
  openfaasNamespace: string;
  /** OpenFaaS gateway, as the event relay reaches it from inside the cluster. */
  openfaasGatewayUrl: string;
}

export const DEFAULTS: GeneratorOptions = {
  platformNamespace: 'sluice-system',
  watchedNamespaces: ['default'],
  image: `ghcr.io/sluice-dev/sluice:${VERSION}`,
  redisImage: 'redis:7.4-alpine',
  openfaasNamespace: 'openfaas-fn',
  openfaasGatewayUrl: 'http://gateway.openfaas.svc:8080',
};
/** Where the Broker sends what it gave up on (the api serves this path). */
export const DEAD_LETTER_PATH = '/dead-letters';
export const BROKER = 'sluice';
export const PING_SOURCE = 'sluice-resync';
export const RESYNC_SCHEDULE = '*/5 * * * *';
export const REDIS = 'sluice-redis';
export const EVENT_RELAY = 'sluice-event-relay';
/** The CloudEvent extension each ApiServerSource stamps on its events (ceOverrides), so a Trigger takes only its stream. */
export const STREAM_EXTENSION = 'sluicestream';
/** Where the bundle lives in the image (see Dockerfile). */
export const FUNCTION_ENTRY = '/app/dist/function.cjs';
export const RELAY_ENTRY = '/app/dist/event-relay.cjs';
/** The NODE_OPTIONS the image runs functions with: its Dockerfile's `ENV NODE_OPTIONS="..."`. */
export function imageNodeOptions(): string {
  const m = /^ENV NODE_OPTIONS="([^"]*)"$/m.exec(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
  if (!m) throw new Error('Dockerfile: no ENV NODE_OPTIONS="..." line');
  return m[1]!;
}
/** The port the function listens on behind OpenFaaS's of-watchdog. */
export const UPSTREAM_PORT = 3000;

/** Everything deployed as one function: the event functions plus the REST API. */
export interface Unit {
  name: string;
  description: string;
  subscriptions: readonly Subscription[];
  permissions: readonly PermissionRule[];
  kind: 'events' | 'api';
  /** Declared by a function whose steps ask for rechecks: it gets a Trigger for its recheck pings. */
  recheck?: SluiceFunction['recheck'];
}

export async function loadUnits(): Promise<Unit[]> {
  const fns = [...(await loadAll())].sort((a, b) => a.name.localeCompare(b.name));
  return [
    apiUnit,
    // Each event function also hears when an adapter of its events restarts (ADAPTER_PODS).
    ...fns.map((fn: SluiceFunction): Unit => ({ ...fn, subscriptions: [...fn.subscriptions, ADAPTER_PODS], kind: 'events' })),
  ];
}

// ---------------------------------------------------------------------------------------
// Naming

/** Knative Service, OpenFaaS function and service account: one name per unit. */
export const unitName = (u: Pick<Unit, 'name'>) => serviceAccountName(u);

// ---------------------------------------------------------------------------------------
// Streams: one ApiServerSource per distinct (resource, scope, selector, mode)

export interface Stream {
  name: string;
  sub: Pick<Subscription, 'resource' | 'scope' | 'labelSelector' | 'mode'>;
  subscribers: { unit: Unit; sub: Subscription }[];
}

export function streamsOf(units: readonly Unit[]): Stream[] {
  const byKey = new Map<string, Stream>();
  for (const unit of units) {
    for (const sub of unit.subscriptions) {
      const selector = normalSelector(sub.labelSelector);
      const key = [sub.resource.apiVersion, sub.resource.kind, sub.scope, selector, sub.mode].join('|');
      let stream = byKey.get(key);
      if (!stream) {
        const name = streamName(sub);
        stream = {
          name,
          sub: { resource: sub.resource, scope: sub.scope, labelSelector: selector || undefined, mode: sub.mode },
          subscribers: [],
        };
        byKey.set(key, stream);
      }
      stream.subscribers.push({ unit, sub });
    }
  }
  return [...byKey.values()].sort((a, b) => a.name.localeCompare(b.name));
}

export const streamOf = (streams: readonly Stream[], unit: Unit, sub: Subscription) =>
  streams.find((s) => s.subscribers.some((x) => x.unit === unit && x.sub === sub))!;

/** `a=b,c!=d,e,!f` as a Kubernetes LabelSelector. */
export function labelSelectorObject(selector: string): { matchLabels?: Record<string, string>; matchExpressions?: object[] } {
  const matchLabels: Record<string, string> = {};
  const matchExpressions: object[] = [];
  for (const term of selector
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean)) {
    const ne = term.match(/^([^!=]+)!=(.*)$/);
    const eq = term.match(/^([^!=]+)==?(.*)$/);
    if (ne) matchExpressions.push({ key: ne[1]!.trim(), operator: 'NotIn', values: [ne[2]!.trim()] });
    else if (eq) matchLabels[eq[1]!.trim()] = eq[2]!.trim();
    else if (term.startsWith('!')) matchExpressions.push({ key: term.slice(1), operator: 'DoesNotExist' });
    else matchExpressions.push({ key: term, operator: 'Exists' });
  }
  return {
    ...(Object.keys(matchLabels).length ? { matchLabels } : {}),
    ...(matchExpressions.length ? { matchExpressions } : {}),
  };
}
