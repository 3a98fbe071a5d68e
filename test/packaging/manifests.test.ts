import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HTTP } from 'cloudevents';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadAll } from '../../functions/index.js';
import { DECLARED_PERMISSIONS } from '../../functions/permissions.js';
import { targetRoleName } from '../../shared/runtime/rbac.js';
import { decodeHttpEvent } from '../../shared/runtime/events.js';
import {
  BROKER,
  DEAD_LETTER_PATH,
  DEFAULTS,
  PING_SOURCE,
  STREAM_EXTENSION,
  type Unit,
  diffAgainst,
  generate,
  imageNodeOptions,
  labelSelectorObject,
  loadUnits,
  pingSourceAttribute,
  streamsOf,
  unitName,
} from '../../scripts/generate-manifests.js';
import { type KubeObject, generatedObjects, objectsIn } from './support.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

let files: Map<string, string>;
let units: Unit[];
let knative: KubeObject[];
const find = (objs: KubeObject[], kind: string, name: string, namespace?: string) =>
  objs.find((o) => o.kind === kind && o.metadata.name === name && (namespace === undefined || o.metadata.namespace === namespace));
type Spec = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const spec = (o: KubeObject | undefined) => (o as unknown as { spec: Spec }).spec;

beforeAll(async () => {
  files = await generate();
  units = await loadUnits();
  knative = generatedObjects(files, 'knative/');
});

describe('committed manifests', () => {
  it('are exactly what scripts/generate-manifests.ts generates (run `npm run manifests`)', () => {
    expect(diffAgainst(files, ROOT), 'knative/ or openfaas/ differ from the generator: run `npm run manifests`').toEqual([]);
  });

  it('generate the same bytes twice', async () => {
    expect(await generate()).toEqual(files);
  });
});

describe('Knative manifests', () => {
  const ns = DEFAULTS.platformNamespace;

  it('give every function and the api a scale-to-zero Knative Service with its own service account and settings', () => {
    expect(units.map((u) => u.name)).toContain('api');
    for (const unit of units) {
      const svc = find(knative, 'Service', unitName(unit), ns);
      expect(svc?.apiVersion, unit.name).toBe('serving.knative.dev/v1');
      const template = spec(svc).template;
      const annotations = template.metadata.annotations;
      expect(annotations['autoscaling.knative.dev/min-scale']).toBe('0');
      expect(Number(annotations['autoscaling.knative.dev/max-scale'])).toBeGreaterThan(0);
      expect(Number(annotations['autoscaling.knative.dev/target'])).toBeGreaterThan(0);
      expect(template.spec.containerConcurrency).toBeGreaterThan(0);
      expect(template.spec.timeoutSeconds).toBeGreaterThan(0);
      expect(template.spec.serviceAccountName).toBe(unitName(unit));
      expect(find(knative, 'ServiceAccount', unitName(unit), ns)).toBeDefined();
      const env = Object.fromEntries((template.spec.containers[0].env as { name: string; value?: string }[]).map((e) => [e.name, e.value]));
      expect(env.SLUICE_FUNCTION).toBe(unit.name);
      expect(env.SLUICE_PLATFORM_NAMESPACE).toBe(ns);
      expect(env.REDIS_URL).toBe(`redis://sluice-redis.${ns}.svc:6379`);
      // Only the api is reachable from outside the cluster.
      expect(svc!.metadata.labels?.['networking.knative.dev/visibility']).toBe(unit.kind === 'api' ? undefined : 'cluster-local');
    }
  });

  it('route every subscription through exactly one ApiServerSource stream, in the declared mode, with its own read-only service account', () => {
    const streams = streamsOf(units);
    const sources = knative.filter((o) => o.kind === 'ApiServerSource');
    expect(sources.map((s) => s.metadata.name).sort()).toEqual(streams.map((s) => s.name).sort());
    for (const stream of streams) {
      const source = find(knative, 'ApiServerSource', stream.name, ns)!;
      const s = spec(source);
      expect(s.mode).toBe(stream.sub.mode === 'resource' ? 'Resource' : 'Reference');
      expect(s.resources).toHaveLength(1);
      expect(s.resources[0].kind).toBe(stream.sub.resource.kind);
      expect(s.sink.ref).toMatchObject({ kind: 'Broker', name: BROKER });
      expect(s.ceOverrides.extensions[STREAM_EXTENSION]).toBe(stream.name);
      if (stream.sub.scope === 'platform') expect(s.namespaceSelector).toBeUndefined();
      if (stream.sub.scope === 'cluster') expect(s.namespaceSelector).toEqual({});
      if (stream.sub.labelSelector) expect(s.resources[0].selector).toEqual(labelSelectorObject(stream.sub.labelSelector));
      // Its own service account, allowed get/list/watch on its resource only.
      expect(s.serviceAccountName).toBe(stream.name);
      const roles = knative.filter(
        (o) => (o.kind === 'Role' || o.kind === 'ClusterRole') && o.metadata.labels?.['sluice.dev/stream'] === stream.name,
      );
      expect(roles).toHaveLength(1);
      expect((roles[0] as unknown as { rules: unknown[] }).rules).toEqual([
        {
          apiGroups: [stream.sub.resource.apiVersion.includes('/') ? stream.sub.resource.apiVersion.split('/')[0] : ''],
          resources: [stream.sub.resource.plural],
          verbs: ['get', 'list', 'watch'],
        },
      ]);
      // Each source's YAML says why it is in its mode.
      expect(files.get('knative/sources.yaml')).toMatch(
        new RegExp(
          `# ${stream.sub.mode === 'resource' ? 'Resource' : 'Reference'} mode \\(declared by ${stream.subscribers[0]!.unit.name}`,
        ),
      );
    }
  });

  it('watches Flink job pods cluster-wide by label, whole objects', () => {
    const pods = knative.find((o) => o.kind === 'ApiServerSource' && spec(o).resources[0].kind === 'Pod')!;
    expect(spec(pods).resources[0].selector).toEqual({ matchLabels: { app: 'flink-job', system: 'ververica-platform' } });
    expect(spec(pods).mode).toBe('Resource');
  });

  it('has a Trigger per subscription with exact filters on type, kind, apiversion and stream, to that function', () => {
    const streams = streamsOf(units);
    const triggers = knative.filter((o) => o.kind === 'Trigger');
    for (const unit of units) {
      for (const sub of unit.subscriptions) {
        const stream = streams.find((s) => s.subscribers.some((x) => x.sub === sub))!;
        const mine = triggers.filter(
          (t) => spec(t).subscriber.ref.name === unitName(unit) && spec(t).filter.attributes[STREAM_EXTENSION] === stream.name,
        );
        expect(mine, `${unit.name} ${sub.resource.kind}`).toHaveLength(1);
        const t = spec(mine[0]);
        expect(t.broker).toBe(BROKER);
        expect(t.subscriber.ref).toEqual({ apiVersion: 'serving.knative.dev/v1', kind: 'Service', name: unitName(unit) });
        const exact = t.filters[0].exact;
        expect(exact).toMatchObject({ kind: sub.resource.kind, apiversion: sub.resource.apiVersion, [STREAM_EXTENSION]: stream.name });
        const prefix = sub.mode === 'resource' ? 'dev.knative.apiserver.resource.' : 'dev.knative.apiserver.ref.';
        const types = sub.verbs.length === 1 ? [exact.type] : t.filters[1].any.map((f: Spec) => f.exact.type);
        expect(types).toEqual(sub.verbs.map((v) => `${prefix}${v}`));
      }
    }
  });

  it('resyncs every event function on a PingSource every 5 minutes', () => {
    const ping = find(knative, 'PingSource', PING_SOURCE, ns)!;
    expect(spec(ping).schedule).toBe('*/5 * * * *');
    expect(spec(ping).sink.ref).toMatchObject({ kind: 'Broker', name: BROKER });
    for (const unit of units.filter((u) => u.kind === 'events')) {
      const t = knative.find(
        (o) =>
          o.kind === 'Trigger' &&
          spec(o).subscriber.ref.name === unitName(unit) &&
          spec(o).filters[0].exact.type === 'dev.knative.sources.ping',
      );
      expect(spec(t).filters[0].exact.source, unit.name).toBe(pingSourceAttribute(ns));
    }
  });

  it('has a Broker that retries with exponential backoff, then dead-letters to the api', () => {
    const delivery = spec(find(knative, 'Broker', BROKER, ns)).delivery;
    expect(delivery).toMatchObject({ retry: 5, backoffPolicy: 'exponential' });
    expect(delivery.deadLetterSink).toEqual({
      ref: { apiVersion: 'serving.knative.dev/v1', kind: 'Service', name: 'sluice-api' },
      uri: DEAD_LETTER_PATH,
    });
  });

  it('grants each function exactly its declared rules, scoped as declared', () => {
    for (const unit of units) {
      const sa = unitName(unit);
      const bound = knative.filter(
        (o) =>
          (o.kind === 'RoleBinding' || o.kind === 'ClusterRoleBinding') &&
          (o as unknown as { subjects: { name: string }[] }).subjects.some((s) => s.name === sa),
      );
      for (const scope of ['platform', 'cluster', 'targets'] as const) {
        const declared = unit.permissions.filter((p) => p.scope === scope);
        if (scope === 'targets') {
          const role = find(knative, 'ClusterRole', targetRoleName(unit));
          expect(!!role, `${unit.name} target role`).toBe(declared.length > 0);
          // Never bound by the manifests: onDeploymentTargetCreate binds it per target namespace.
          expect(knative.some((o) => (o as unknown as { roleRef?: { name: string } }).roleRef?.name === targetRoleName(unit))).toBe(false);
          continue;
        }
        const kind = scope === 'platform' ? 'RoleBinding' : 'ClusterRoleBinding';
        const bindings = bound.filter((b) => b.kind === kind && (scope === 'cluster' || b.metadata.namespace === ns));
        expect(bindings.length, `${unit.name} ${scope}`).toBe(declared.length ? 1 : 0);
        if (!declared.length) continue;
        const role = find(
          knative,
          scope === 'platform' ? 'Role' : 'ClusterRole',
          (bindings[0] as unknown as { roleRef: { name: string } }).roleRef.name,
        )!;
        expect((role as unknown as { rules: unknown[] }).rules).toEqual(
          declared.map(({ apiGroups, resources, verbs, resourceNames }) => ({
            apiGroups,
            resources,
            ...(resourceNames ? { resourceNames } : {}),
            verbs,
          })),
        );
      }
    }
  });

  it("reads every unit's declared permissions without its handler, for the target roles onDeploymentTargetCreate binds", async () => {
    const fns = await loadAll();
    const binder = 'onDeploymentTargetCreate';
    expect(fns.find((f) => f.name === binder)!.permissions.some((p) => p.scope === 'targets')).toBe(false);
    const others = fns.filter((f) => f.name !== binder);
    expect(Object.keys(DECLARED_PERMISSIONS).sort()).toEqual([...others.map((f) => f.name), 'api'].sort());
    for (const fn of others) expect(DECLARED_PERMISSIONS[fn.name], fn.name).toBe(fn.permissions);
  });

  it('lets onDeploymentTargetCreate bind exactly the target ClusterRoles it binds, nothing else', async () => {
    const fns = await loadAll();
    const odtc = fns.find((f) => f.name === 'onDeploymentTargetCreate')!;
    const bind = odtc.permissions.filter((p) => p.verbs.includes('bind'));
    expect(bind).toHaveLength(1);
    expect(bind[0]!.resources).toEqual(['clusterroles']);
    // targetBindings() binds the target role of every event function that has target rules, and the api's.
    const bound = [...fns.filter((f) => f.permissions.some((p) => p.scope === 'targets')), { name: 'api' }].map((f) => targetRoleName(f));
    expect([...bind[0]!.resourceNames!].sort()).toEqual(bound.sort());
  });

  it('installs everything through kustomization.yaml', () => {
    const k = parse(files.get('knative/kustomization.yaml')!) as { resources: string[] };
    const yamlFiles = [...files.keys()]
      .filter((p) => p.startsWith('knative/') && !p.endsWith('kustomization.yaml'))
      .map((p) => p.slice('knative/'.length));
    expect([...k.resources].sort()).toEqual(yamlFiles.sort());
    expect(find(knative, 'Namespace', ns)).toBeDefined();
    expect(knative.filter((o) => o.kind === 'CustomResourceDefinition').map((o) => o.metadata.name)).toEqual(
      expect.arrayContaining(['flinkdeployments.sluice.dev', 'deploymenttargets.sluice.dev', 'vvpdeployments.ververica.platform']),
    );
    expect(find(knative, 'Deployment', 'sluice-redis', ns)).toBeDefined();
    expect(find(knative, 'Service', 'sluice-redis', ns)?.apiVersion).toBe('v1');
  });

  it('puts nothing in the generated files that a human should have edited', () => {
    for (const [path, content] of files) expect(content.startsWith('# Generated by scripts/generate-manifests.ts'), path).toBe(true);
  });
});

describe('label selectors', () => {
  it('translate to LabelSelector objects', () => {
    expect(labelSelectorObject('a=b,c==d')).toEqual({ matchLabels: { a: 'b', c: 'd' } });
    expect(labelSelectorObject('a!=b,c,!d')).toEqual({
      matchExpressions: [
        { key: 'a', operator: 'NotIn', values: ['b'] },
        { key: 'c', operator: 'Exists' },
        { key: 'd', operator: 'DoesNotExist' },
      ],
    });
  });
});

describe('the stream extension', () => {
  it('is accepted by the runtime as an ordinary CloudEvent extension', () => {
    const message = {
      headers: {
        'content-type': 'application/json',
        'ce-id': 'x-1',
        'ce-specversion': '1.0',
        'ce-type': 'dev.knative.apiserver.resource.update',
        'ce-source': 'https://10.0.0.1:443',
        'ce-kind': 'FlinkDeployment',
        'ce-apiversion': 'sluice.dev/v1alpha1',
        [`ce-${STREAM_EXTENSION}`]: 'sluice-src-flinkdeployments-platform',
      },
      body: JSON.stringify({
        apiVersion: 'sluice.dev/v1alpha1',
        kind: 'FlinkDeployment',
        metadata: { name: 'd', namespace: 'sluice-system' },
      }),
    };
    expect(HTTP.isEvent(message)).toBe(true);
    expect(decodeHttpEvent(message.headers, message.body)).toMatchObject({ mode: 'resource', verb: 'update', ref: { name: 'd' } });
  });
});

describe('OpenFaaS stack', () => {
  it('deploys every function from the same image, behind of-watchdog in HTTP mode, scaling to zero', () => {
    const stack = parse(files.get('openfaas/stack.yml')!) as { provider: { name: string }; functions: Record<string, Spec> };
    expect(stack.provider.name).toBe('openfaas');
    expect(Object.keys(stack.functions).sort()).toEqual(units.map(unitName).sort());
    const knativeImage = spec(find(knative, 'Service', 'sluice-api')).template.spec.containers[0].image;
    for (const unit of units) {
      const f = stack.functions[unitName(unit)]!;
      expect(f.image).toBe(knativeImage);
      expect(f.environment).toMatchObject({
        SLUICE_FUNCTION: unit.name,
        mode: 'http',
        upstream_url: 'http://127.0.0.1:3000',
        PORT: '3000',
      });
      expect(f.labels['com.openfaas.scale.zero']).toBe('true');
      expect(f.annotations['com.openfaas.serviceaccount']).toBe(unitName(unit));
    }
  });

  it("has the event relay Deployment and the functions' service accounts", () => {
    const objs = objectsIn(files.get('openfaas/event-relay.yaml')!);
    const relay = objs.find((o) => o.kind === 'Deployment')!;
    const container = spec(relay).template.spec.containers[0];
    expect(container.command).toEqual(['node', '/app/dist/event-relay.cjs']);
    expect(container.env.find((e: Spec) => e.name === 'GATEWAY_URL').value).toBe(DEFAULTS.openfaasGatewayUrl);
    const rbac = objectsIn(files.get('openfaas/rbac.yaml')!);
    for (const unit of units) expect(find(rbac, 'ServiceAccount', unitName(unit), DEFAULTS.openfaasNamespace), unit.name).toBeDefined();
  });
});

describe("the image's NODE_OPTIONS", () => {
  it("keep V8's heap, and ~64 MiB for Node itself, inside every function container's memory limit", () => {
    const options = imageNodeOptions();
    const mib = (flag: string) => Number(new RegExp(`--${flag}=(\\d+)`).exec(options)?.[1]);
    // The young generation: two semi-spaces, and as much again for large new objects at most.
    const heap = mib('max-old-space-size') + 3 * mib('max-semi-space-size');
    expect(heap, options).toBeGreaterThan(0);
    const stack = parse(files.get('openfaas/stack.yml')!) as { functions: Record<string, Spec> };
    const limits = [
      ...units.map((u) => spec(find(knative, 'Service', unitName(u))).template.spec.containers[0].resources.limits.memory as string),
      ...Object.values(stack.functions).map((f) => f.limits.memory as string),
    ];
    expect(limits).toHaveLength(2 * units.length);
    for (const limit of limits) expect(heap + 64, `${options} within ${limit}`).toBeLessThanOrEqual(Number(/^(\d+)Mi$/.exec(limit)?.[1]));
  });
});
