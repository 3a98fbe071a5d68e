/** Knative: a Service per unit, an ApiServerSource per stream, the Broker, a Trigger per subscription, the resync PingSource. */
import { groupOf } from '../../shared/kube/resources.js';
import { PING_EVENT, REFERENCE_EVENT, RESOURCE_EVENT } from '../../shared/runtime/events.js';
import { k8sName } from '../../shared/runtime/streams.js';
import { recheckSourceName } from '../../shared/runtime/rechecks.js';
import {
  type Stream,
  type Unit,
  type GeneratorOptions,
  BROKER,
  DEAD_LETTER_PATH,
  FUNCTION_ENTRY,
  PING_SOURCE,
  RESYNC_SCHEDULE,
  STREAM_EXTENSION,
  labelSelectorObject,
  streamOf,
  unitName,
} from './units.js';
import { type Doc, LABELS, SCALING, containerSecurity, env, meta, serviceAccount } from './objects.js';
import { grant } from './rbac.js';

export function knativeService(unit: Unit, o: GeneratorOptions): Doc {
  const s = SCALING[unit.kind];
  const labels = { 'sluice.dev/function': unit.name, 'app.kubernetes.io/component': unit.kind === 'api' ? 'api' : 'function' };
  return {
    comment:
      unit.kind === 'api'
        ? `The REST API: reachable from outside the cluster. Scales to zero like the functions.`
        : `Reached only through the Broker (cluster-local). Timeout covers a full resync on a ping.`,
    obj: {
      apiVersion: 'serving.knative.dev/v1',
      kind: 'Service',
      metadata: {
        ...meta(unitName(unit), o.platformNamespace, {
          ...labels,
          ...(unit.kind === 'events' ? { 'networking.knative.dev/visibility': 'cluster-local' } : {}),
        }),
      },
      spec: {
        template: {
          metadata: {
            labels: { ...LABELS, ...labels },
            annotations: {
              'autoscaling.knative.dev/class': 'kpa.autoscaling.knative.dev',
              'autoscaling.knative.dev/metric': 'concurrency',
              'autoscaling.knative.dev/min-scale': '0',
              'autoscaling.knative.dev/max-scale': String(s.maxScale),
              'autoscaling.knative.dev/target': String(s.target),
            },
          },
          spec: {
            serviceAccountName: unitName(unit),
            containerConcurrency: s.containerConcurrency,
            timeoutSeconds: s.timeoutSeconds,
            containers: [
              {
                name: 'function',
                image: o.image,
                // The image's default command is OpenFaaS's of-watchdog; Knative runs the function directly.
                command: ['node', FUNCTION_ENTRY],
                ports: [{ name: 'http1', containerPort: 8080 }],
                env: env(unit, o),
                readinessProbe: { httpGet: { path: '/healthz' } },
                resources: { requests: { cpu: '50m', memory: '128Mi' }, limits: { memory: '256Mi' } },
                securityContext: containerSecurity,
              },
            ],
          },
        },
      },
    },
  };
}

export const subscriber = (unit: Unit) => ({ ref: { apiVersion: 'serving.knative.dev/v1', kind: 'Service', name: unitName(unit) } });

/** One Trigger per (function, subscription): exact filters on the stream, kind, apiversion and the verbs' types. */
export function triggers(unit: Unit, streams: readonly Stream[], o: GeneratorOptions): Doc[] {
  const docs: Doc[] = [];
  for (const sub of unit.subscriptions) {
    const stream = streamOf(streams, unit, sub);
    if (sub.scope === 'watched' && o.watchedNamespaces.length === 0) continue;
    const prefix = sub.mode === 'resource' ? RESOURCE_EVENT : REFERENCE_EVENT;
    const types = sub.verbs.map((v) => `${prefix}${v}`);
    const common = { kind: sub.resource.kind, apiversion: sub.resource.apiVersion, [STREAM_EXTENSION]: stream.name };
    docs.push({
      comment:
        `${unit.name}: ${sub.resource.kind} ${sub.verbs.join('/')} from ${stream.name}.\n` +
        `\`filters\` (exact, any) is what a current Broker evaluates; \`filter.attributes\` is the fallback for\n` +
        `Brokers without the new-trigger-filters feature (then other verbs also arrive and the function skips them).`,
      obj: {
        apiVersion: 'eventing.knative.dev/v1',
        kind: 'Trigger',
        metadata: meta(k8sName(`${unitName(unit)}-${stream.name.replace(/^sluice-src-/, '')}`), o.platformNamespace, {
          'sluice.dev/function': unit.name,
        }),
        spec: {
          broker: BROKER,
          filter: { attributes: common },
          filters: [
            { exact: types.length === 1 ? { type: types[0]!, ...common } : common },
            ...(types.length > 1 ? [{ any: types.map((type) => ({ exact: { type } })) }] : []),
          ],
          subscriber: subscriber(unit),
        },
      },
    });
  }
  if (unit.kind === 'events') {
    const ping = { type: PING_EVENT, source: pingSourceAttribute(o.platformNamespace) };
    docs.push({
      comment: `${unit.name} resyncs itself (every object it subscribes to) on each ping of ${PING_SOURCE}.`,
      obj: {
        apiVersion: 'eventing.knative.dev/v1',
        kind: 'Trigger',
        metadata: meta(k8sName(`${unitName(unit)}-resync`), o.platformNamespace, { 'sluice.dev/function': unit.name }),
        spec: { broker: BROKER, filter: { attributes: ping }, filters: [{ exact: ping }], subscriber: subscriber(unit) },
      },
    });
  }
  if (unit.recheck) {
    const ping = { type: PING_EVENT, source: `/apis/v1/namespaces/${o.platformNamespace}/pingsources/${recheckSourceName(unit.name)}` };
    docs.push({
      comment:
        `${unit.name} rechecks what is in transition (a Flink job starting or restarting) on each ping of\n` +
        `${recheckSourceName(unit.name)}, a PingSource it creates itself while something is in transition and deletes after.`,
      obj: {
        apiVersion: 'eventing.knative.dev/v1',
        kind: 'Trigger',
        metadata: meta(k8sName(`${unitName(unit)}-recheck`), o.platformNamespace, { 'sluice.dev/function': unit.name }),
        spec: { broker: BROKER, filter: { attributes: ping }, filters: [{ exact: ping }], subscriber: subscriber(unit) },
      },
    });
  }
  return docs;
}

/** The CloudEvent `source` attribute of a PingSource's events. */
export const pingSourceAttribute = (namespace: string) => `/apis/v1/namespaces/${namespace}/pingsources/${PING_SOURCE}`;

export const brokerRef = { ref: { apiVersion: 'eventing.knative.dev/v1', kind: 'Broker', name: BROKER } };

export function modeComment(stream: Stream): string {
  const who = [...new Set(stream.subscribers.map((s) => s.unit.name))].join(', ');
  const where =
    stream.sub.scope === 'platform'
      ? "the platform namespace only (no namespaceSelector: the source's own namespace)"
      : stream.sub.scope === 'cluster'
        ? `every namespace (empty namespaceSelector)${stream.sub.labelSelector ? `, only objects labelled ${stream.sub.labelSelector}` : ''}`
        : 'the watched namespaces (namespaceSelector on kubernetes.io/metadata.name)';
  const mode =
    stream.sub.mode === 'resource'
      ? `Resource mode (declared by ${who}): the event carries the whole object, so a step can filter by\n` +
        `labels, take its lock and deduplicate on uid/resourceVersion without a read (it still re-reads before acting).`
      : `Reference mode (declared by ${who}): the event carries only {kind, namespace, name, apiVersion};\n` +
        `the step re-reads the object (smaller events; a delete carries nothing to decide on).`;
  return `${stream.sub.resource.kind} events from ${where}.\n${mode}`;
}

export function sourceDocs(stream: Stream, o: GeneratorOptions): Doc[] {
  const { resource, scope, labelSelector, mode } = stream.sub;
  if (scope === 'watched' && o.watchedNamespaces.length === 0) return [];
  const sa = { name: stream.name, namespace: o.platformNamespace };
  const labels = { 'sluice.dev/stream': stream.name };
  const rules = [{ apiGroups: [groupOf(resource)], resources: [resource.plural], verbs: ['get', 'list', 'watch'] }];
  return [
    { comment: `Only get/list/watch on ${resource.plural}, where the stream watches.`, obj: serviceAccount(sa.name, sa.namespace, labels) },
    ...grant({ scope, name: stream.name, rules, sa, watchedNamespaces: o.watchedNamespaces, labels }).map((obj) => ({ obj })),
    {
      comment: modeComment(stream),
      obj: {
        apiVersion: 'sources.knative.dev/v1',
        kind: 'ApiServerSource',
        metadata: meta(stream.name, o.platformNamespace, labels),
        spec: {
          mode: mode === 'resource' ? 'Resource' : 'Reference',
          serviceAccountName: sa.name,
          resources: [
            {
              apiVersion: resource.apiVersion,
              kind: resource.kind,
              ...(labelSelector ? { selector: labelSelectorObject(labelSelector) } : {}),
            },
          ],
          ...(scope === 'cluster' ? { namespaceSelector: {} } : {}),
          ...(scope === 'watched'
            ? {
                namespaceSelector: {
                  matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: [...o.watchedNamespaces] }],
                },
              }
            : {}),
          ceOverrides: { extensions: { [STREAM_EXTENSION]: stream.name } },
          sink: brokerRef,
        },
      },
    },
  ];
}

export function brokerDocs(o: GeneratorOptions): Doc[] {
  return [
    {
      comment:
        `Every event goes through this Broker. A delivery a function answers 5xx (Redis or the API server\n` +
        `unavailable) is retried 5 times with exponential backoff (1s, 2s, 4s, 8s, 16s), then handed to the\n` +
        `api's ${DEAD_LETTER_PATH}; the periodic resync repairs whatever a dead letter left undone.`,
      obj: {
        apiVersion: 'eventing.knative.dev/v1',
        kind: 'Broker',
        metadata: meta(BROKER, o.platformNamespace),
        spec: {
          delivery: {
            retry: 5,
            backoffPolicy: 'exponential',
            backoffDelay: 'PT1S',
            deadLetterSink: {
              ref: { apiVersion: 'serving.knative.dev/v1', kind: 'Service', name: unitName({ name: 'api' }) },
              uri: DEAD_LETTER_PATH,
            },
          },
        },
      },
    },
    {
      comment: 'Periodic level-triggered resync: every function re-runs its step for every object it subscribes to.',
      obj: {
        apiVersion: 'sources.knative.dev/v1',
        kind: 'PingSource',
        metadata: meta(PING_SOURCE, o.platformNamespace),
        spec: { schedule: RESYNC_SCHEDULE, contentType: 'application/json', data: '{"reason":"periodic resync"}', sink: brokerRef },
      },
    },
  ];
}
