/** OpenFaaS: stack.yml for the same image, and the event relay that stands in for the Broker. */
import { Document } from 'yaml';
import { groupOf } from '../../shared/kube/resources.js';
import { ADAPTER_PODS, streamName } from '../../shared/runtime/streams.js';
import {
  type Stream,
  type Unit,
  type GeneratorOptions,
  EVENT_RELAY,
  FUNCTION_ENTRY,
  REDIS,
  RELAY_ENTRY,
  UPSTREAM_PORT,
  unitName,
} from './units.js';
import { type Doc, HEADER, YAML_OPTIONS, SCALING, serviceAccount, singleReplica } from './objects.js';
import { grant } from './rbac.js';

export function stackYml(units: readonly Unit[], o: GeneratorOptions): string {
  const ns = o.openfaasNamespace;
  const functions: Record<string, unknown> = {};
  for (const unit of units) {
    const s = SCALING[unit.kind];
    functions[unitName(unit)] = {
      image: o.image,
      skip_build: true,
      namespace: ns,
      fprocess: `node ${FUNCTION_ENTRY}`,
      environment: {
        // of-watchdog in HTTP mode: it listens on 8080 and forwards to the function on UPSTREAM_PORT.
        mode: 'http',
        upstream_url: `http://127.0.0.1:${UPSTREAM_PORT}`,
        exec_timeout: `${s.timeoutSeconds}s`,
        read_timeout: `${s.timeoutSeconds}s`,
        write_timeout: `${s.timeoutSeconds}s`,
        max_inflight: String(s.containerConcurrency),
        PORT: String(UPSTREAM_PORT),
        SLUICE_FUNCTION: unit.name,
        SLUICE_PLATFORM_NAMESPACE: ns,
        SLUICE_WATCHED_NAMESPACES: o.watchedNamespaces.join(','),
        REDIS_URL: `redis://${REDIS}.${ns}.svc:6379`,
        LOG_LEVEL: 'info',
      },
      labels: {
        'com.openfaas.scale.zero': 'true',
        'com.openfaas.scale.zero-duration': '15m',
        'com.openfaas.scale.min': '1',
        'com.openfaas.scale.max': String(s.maxScale),
        'sluice.dev/function': unit.name,
      },
      annotations: { 'com.openfaas.serviceaccount': unitName(unit) },
      requests: { cpu: '50m', memory: '128Mi' },
      limits: { memory: '256Mi' },
      readonly_root_filesystem: true,
    };
  }
  const doc = new Document({ version: '1.0', provider: { name: 'openfaas', gateway: 'http://127.0.0.1:8080' }, functions }, YAML_OPTIONS);
  doc.commentBefore =
    ` ${HEADER}\n` +
    ` The same image and functions as knative/, as OpenFaaS functions in ${ns} (also Sluice's platform namespace\n` +
    ` here). Install openfaas/kustomization.yaml first (CRDs, RBAC, Redis, the event relay), then:\n` +
    `   faas-cli deploy -f openfaas/stack.yml\n` +
    ` Events reach the functions through the event relay (bin/event-relay.ts); see docs/openfaas.md.`;
  return doc.toString({ lineWidth: 0 });
}

export function relayDocs(units: readonly Unit[], streams: readonly Stream[], o: GeneratorOptions): Doc[] {
  const ns = o.openfaasNamespace;
  const sa = { name: EVENT_RELAY, namespace: ns };
  const labels = { 'app.kubernetes.io/name': EVENT_RELAY };
  const docs: Doc[] = [
    { comment: 'The relay watches what every stream watches: get/list/watch only.', obj: serviceAccount(sa.name, ns, labels) },
  ];
  for (const scope of ['platform', 'cluster', 'watched'] as const) {
    const resources = new Map<string, Set<string>>();
    // Not the Knative adapters' pods: there are none where the relay runs.
    for (const s of streams.filter((x) => x.sub.scope === scope && x.name !== streamName(ADAPTER_PODS))) {
      const group = groupOf(s.sub.resource);
      resources.set(group, (resources.get(group) ?? new Set()).add(s.sub.resource.plural));
    }
    const rules = [...resources]
      .sort()
      .map(([group, plurals]) => ({ apiGroups: [group], resources: [...plurals].sort(), verbs: ['get', 'list', 'watch'] }));
    for (const obj of grant({ scope, name: EVENT_RELAY, rules, sa, watchedNamespaces: o.watchedNamespaces, labels })) docs.push({ obj });
  }
  docs.push({
    comment:
      `What ApiServerSource, Broker and PingSource do on Knative: watches the API server (the functions'\n` +
      `subscriptions, ${units.filter((u) => u.kind === 'events').length} functions), POSTs each event as a binary-mode CloudEvent to\n` +
      `$GATEWAY_URL/function/sluice-<name>, retries 5xx with backoff, and pings every function to resync\n` +
      `at start and every SLUICE_RESYNC_SECONDS. One replica: a second would only duplicate deliveries.`,
    obj: singleReplica(EVENT_RELAY, ns, labels, {
      serviceAccountName: EVENT_RELAY,
      enableServiceLinks: false,
      securityContext: { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, seccompProfile: { type: 'RuntimeDefault' } },
      containers: [
        {
          name: 'relay',
          image: o.image,
          command: ['node', RELAY_ENTRY],
          env: [
            { name: 'GATEWAY_URL', value: o.openfaasGatewayUrl },
            { name: 'SLUICE_PLATFORM_NAMESPACE', value: ns },
            { name: 'SLUICE_WATCHED_NAMESPACES', value: o.watchedNamespaces.join(',') },
            { name: 'SLUICE_RESYNC_SECONDS', value: '300' },
            { name: 'PORT', value: '8080' },
            { name: 'LOG_LEVEL', value: 'info' },
          ],
          ports: [{ name: 'http', containerPort: 8080 }],
          readinessProbe: { httpGet: { path: '/readyz', port: 'http' }, periodSeconds: 5 },
          livenessProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 10 },
          resources: { requests: { cpu: '50m', memory: '128Mi' }, limits: { memory: '256Mi' } },
          securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
        },
      ],
    }),
  });
  return docs;
}
