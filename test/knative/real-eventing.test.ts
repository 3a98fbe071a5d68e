/**
 * Sluice driven by Knative Eventing's real components only, as installed from the generated
 * manifests (knative/): one real ApiServerSource receive adapter per generated
 * ApiServerSource, each with the environment Knative's controller gives it and its own
 * service account's token; the real MT broker ingress and filter, the filter reading the
 * generated Triggers from the API server; every function run as its container runs it
 * (bin/function.ts) with its own service account's token. No other event source runs, and
 * nothing calls a resync: the README's multitenancy walkthrough and the operator's example
 * CR reach their desired states on the adapters' events alone, every 2xx reply has an empty
 * body, every delivery ends with a 2xx (a 503 only where a concurrent step held the object's
 * lock, then the Broker's retry), and nothing is dead-lettered. An adapter stopped while a deployment is
 * cancelled, then started again, sends nothing for it; the functions' resync when its pod
 * becomes ready repairs it (ARCHITECTURE.md, "Missed events").
 *
 * Without Go or the module proxy the binaries cannot be built: the tests are then skipped,
 * saying why on stderr.
 *
 * The wiring, ingress → channel → filter → function, is the MT channel-based Broker's; the
 * channel is a stand-in (eventing.ts says why). What Knative's controllers would write (the
 * Broker's and Triggers' status, the adapters' environment) the test writes.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FUNCTION_NAMES } from '../../functions/index.js';
import { type Daemon, logTail, spawnDaemon } from '../../shared/local/process.js';
import { freePorts } from '../../shared/local/ports.js';
import { serviceAccountName } from '../../shared/runtime/rbac.js';
import { FLINK_DEPLOYMENTS } from '../../shared/kube/resources.js';
import { streamName } from '../../shared/runtime/streams.js';
import { BROKER, generate } from '../../scripts/generate-manifests.js';
import { eventually, kubeConfig, testBed } from '../bed/env.js';
import { type KubeObject, generatedObjects, kubectl, kubectlOk, objectsIn } from '../packaging/support.js';
import { examplePath, exampleText, fixturePath, repoPath } from '../support/files.js';
import {
  ChannelStandIn,
  DeadLetterSink,
  type Delivery,
  OUTCOME_ANNOTATION,
  adapterDeployment,
  adapterEnvironment,
  eventingModuleDir,
  knativeBinaries,
  tokenKubeconfig,
} from './eventing.js';

const run = randomBytes(3).toString('hex');
const P = `sluice-kn-${run}`; // Sluice's platform namespace
const W = `sluice-kn-w-${run}`; // the operator's watched namespace
const KS = `sluice-kn-sys-${run}`; // Knative's system namespace (its config maps)
const teamNamespace = (team: number) => `vvp-jobs-team-${team}-${run}`;
const BOOTSTRAP_TOKEN = `sluice-kn-${randomBytes(12).toString('hex')}`;
/** The Knative CRDs the filter's and ingress's informers need besides the manifests' own. */
const RELEASE_CRDS = ['subscription.yaml', 'eventtype.yaml', 'eventpolicy.yaml'];
/** Cluster-scoped objects every platform namespace shares (their names are fixed in the code that binds them). */
const isSharedClusterRole = (o: KubeObject) => o.kind === 'ClusterRole' && o.metadata.name.endsWith('-targets');

let unavailable: string | undefined;
let dir: string;
let kubeconfig: string;
let binDir: string;
let objects: KubeObject[] = [];
let sources: KubeObject[] = [];
let ownClusterScoped: KubeObject[] = [];
const daemons = new Map<string, Daemon>();
const functionUrls = new Map<string, string>();
let channel: ChannelStandIn;
let deadLetters: DeadLetterSink;
let ingressUrl: string;
let apiUrl: string;

const log = (line: string) => process.stderr.write(`[real-eventing] ${line}\n`);
const toYaml = (objs: KubeObject[]) => objs.map((o) => stringify(o)).join('---\n');

/** Gives every cluster-scoped object of this run (but the shared ClusterRoles) a name of its own, and the references to it. */
function ownNames(all: KubeObject[]): KubeObject[] {
  const renamed = new Set(
    all
      .filter((o) => !o.metadata.namespace && (o.kind === 'ClusterRole' || o.kind === 'ClusterRoleBinding') && !isSharedClusterRole(o))
      .map((o) => `${o.kind}/${o.metadata.name}`),
  );
  return all.map((o) => {
    const copy = structuredClone(o);
    if (renamed.has(`${o.kind}/${o.metadata.name}`)) copy.metadata.name = `${o.metadata.name}-${run}`;
    const roleRef = copy.roleRef as { kind: string; name: string } | undefined;
    if (roleRef && renamed.has(`${roleRef.kind}/${roleRef.name}`)) roleRef.name = `${roleRef.name}-${run}`;
    return copy;
  });
}

async function serviceAccountKubeconfig(sa: string): Promise<string> {
  const token = (await kubectlOk(kubeconfig, ['-n', P, 'create', 'token', sa, '--duration=2h'])).trim();
  return tokenKubeconfig(kubeconfig, sa, token, join(dir, `kubeconfig-${sa}`));
}

async function patchStatus(kind: string, name: string, status: object): Promise<void> {
  await kubectlOk(kubeconfig, ['-n', P, 'patch', kind, name, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status })]);
}

function start(name: string, command: string, args: string[], env: Record<string, string>): Daemon {
  const daemon = spawnDaemon(name, command, args, join(dir, `${name}.log`), { PATH: process.env.PATH, HOME: process.env.HOME, ...env });
  daemons.set(name, daemon);
  return daemon;
}

async function healthy(name: string, url: string): Promise<void> {
  const daemon = daemons.get(name)!;
  await eventually(
    async () => {
      if (!daemon.running) throw new Error(`${name} exited:\n${logTail(daemon.logFile)}`);
      return (await fetch(url).catch(() => undefined))?.ok;
    },
    180_000,
    `${name} answering at ${url}`,
  );
}

/** The namespaces a source's namespaceSelector matches now, as the controller lists them. */
async function selectedNamespaces(source: KubeObject): Promise<string[]> {
  const selector = (source.spec as { namespaceSelector?: { matchExpressions?: { key: string; operator: string; values: string[] }[] } })
    .namespaceSelector;
  const expressions = selector?.matchExpressions ?? [];
  if (expressions.length === 0) return [];
  const labelSelector = expressions.map((e) => `${e.key} ${e.operator.toLowerCase()} (${e.values.join(',')})`).join(',');
  const list = await kubeConfig().makeApiClient(CoreV1Api).listNamespace({ labelSelector });
  return list.items.map((n) => n.metadata!.name!);
}

const adapterEnv = new Map<string, Record<string, string>>();

/** The pod of a source's adapter Deployment that is not going away. */
async function adapterPod(source: string): Promise<V1Pod> {
  const core = kubeConfig().makeApiClient(CoreV1Api);
  return eventually(
    async () => {
      const pods = await core.listNamespacedPod({ namespace: P, labelSelector: `eventing.knative.dev/sourceName=${source}` });
      return pods.items.find((p) => !p.metadata?.deletionTimestamp);
    },
    60_000,
    `the adapter pod of ${source}`,
  );
}

/**
 * Does a kubelet's part for the adapter pod of one generated ApiServerSource: runs the real
 * adapter process with the pod's environment and its service account's token, and once the
 * adapter has started, reports the pod ready (as its readiness probe would). Returns the pod.
 */
async function startAdapter(source: KubeObject): Promise<V1Pod> {
  const name = source.metadata.name;
  const pod = await adapterPod(name);
  const logName = `adapter-${name}`;
  const daemon = start(logName, join(binDir, 'apiserver_receive_adapter'), [], {
    ...adapterEnv.get(name)!,
    KUBECONFIG: await serviceAccountKubeconfig((source.spec as { serviceAccountName: string }).serviceAccountName),
  });
  const logged = existsSync(daemon.logFile) ? readFileSync(daemon.logFile, 'utf8').length : 0;
  await eventually(
    async () => {
      if (!daemon.running) throw new Error(`${daemon.name} exited:\n${logTail(daemon.logFile)}`);
      return readFileSync(daemon.logFile, 'utf8').slice(logged).includes('Starting in resilient mode');
    },
    120_000,
    `${daemon.name} started`,
  );
  await kubectlOk(kubeconfig, ['-n', P, 'annotate', '--overwrite', 'pod', pod.metadata!.name!, `${OUTCOME_ANNOTATION}=run`]);
  return pod;
}

/** The adapter's process ends and its pod with it; the Deployment makes a new pod, not ready until startAdapter. Returns the old pod. */
async function stopAdapter(source: KubeObject): Promise<V1Pod> {
  const pod = await adapterPod(source.metadata.name);
  await daemons.get(`adapter-${source.metadata.name}`)!.stop();
  await kubectlOk(kubeconfig, ['-n', P, 'delete', 'pod', pod.metadata!.name!, '--wait=false']);
  return pod;
}

beforeAll(async () => {
  const built = await knativeBinaries((line) => process.stderr.write(`${line}\n`));
  if ('unavailable' in built) {
    unavailable = built.unavailable;
    console.warn(`SKIPPING the real Knative eventing test: ${unavailable}`);
    return;
  }
  binDir = built.dir;
  kubeconfig = testBed().kubeconfig;
  dir = mkdtempSync(join(tmpdir(), 'sluice-knative-'));

  // The install: the generated manifests, minus what needs Knative Serving (the functions run
  // here as processes) and Redis (the bed's).
  const files = await generate({ platformNamespace: P, watchedNamespaces: [W] });
  objects = ownNames(generatedObjects(files, 'knative/'));
  const installed = objects.filter((o) => !['Service', 'Deployment', 'NetworkPolicy'].includes(o.kind));
  ownClusterScoped = installed.filter(
    (o) => !o.metadata.namespace && o.kind !== 'CustomResourceDefinition' && o.kind !== 'Namespace' && !isSharedClusterRole(o),
  );

  const knativeCrds = [
    ...['broker', 'trigger', 'apiserversource', 'pingsource'].map((f) => fixturePath(`knative-crds/eventing/${f}.yaml`)),
    ...RELEASE_CRDS.map((f) => join(eventingModuleDir(binDir), 'config', 'core', 'resources', f)),
  ];
  await kubectlOk(kubeconfig, ['apply', ...knativeCrds.flatMap((f) => ['-f', f])]);
  const crds = [
    ...knativeCrds.flatMap((f) => objectsIn(readFileSync(f, 'utf8'))),
    ...installed.filter((o) => o.kind === 'CustomResourceDefinition'),
  ];
  await kubectlOk(
    kubeconfig,
    ['apply', '-f', '-'],
    toYaml(installed.filter((o) => o.kind === 'CustomResourceDefinition' || o.kind === 'Namespace')),
  );
  await kubectlOk(kubeconfig, ['wait', '--for', 'condition=established', '--timeout=60s', ...crds.map((o) => `crd/${o.metadata.name}`)]);
  for (const ns of [W, KS]) await kubectlOk(kubeconfig, ['create', 'namespace', ns]);
  // Knative's config maps, as its release installs them (empty: every setting at its default).
  for (const cm of ['config-logging', 'config-observability', 'config-features', 'config-tracing']) {
    await kubectlOk(kubeconfig, ['-n', KS, 'create', 'configmap', cm]);
  }
  await kubectlOk(kubeconfig, ['-n', P, 'create', 'secret', 'generic', 'sluice-bootstrap', `--from-literal=token=${BOOTSTRAP_TOKEN}`]);
  await kubectlOk(
    kubeconfig,
    ['apply', '-f', '-'],
    toYaml(installed.filter((o) => o.kind !== 'CustomResourceDefinition' && o.kind !== 'Namespace')),
  );

  const [dlsPort, channelPort, ingressPort, ingressTlsPort, filterPort, filterTlsPort, ...fnPorts] = await freePorts(
    6 + FUNCTION_NAMES.length,
  );
  const broker = objects.find((o) => o.kind === 'Broker')!;
  const delivery = (broker.spec as { delivery: { retry: number; backoffDelay: string } }).delivery;
  deadLetters = new DeadLetterSink();
  const deadLetterUri = await deadLetters.listen(dlsPort!);
  ingressUrl = `http://127.0.0.1:${ingressPort}/${P}/${BROKER}`;
  channel = new ChannelStandIn({
    retry: delivery.retry,
    backoffDelayMs: Number(/^PT(\d+)S$/.exec(delivery.backoffDelay)![1]) * 1000,
    deadLetterUri,
    replyUri: ingressUrl,
  });
  const channelUrl = await channel.listen(channelPort!);

  // The functions, each as its Knative Service's container runs it, with the Service's env.
  for (const [i, name] of FUNCTION_NAMES.entries()) {
    const service = objects.find(
      (o) => o.kind === 'Service' && o.apiVersion === 'serving.knative.dev/v1' && o.metadata.name === serviceAccountName({ name }),
    )!;
    const container = (
      service.spec as { template: { spec: { containers: { env: { name: string; value?: string; valueFrom?: unknown }[] }[] } } }
    ).template.spec.containers[0]!;
    const env = Object.fromEntries(
      container.env.map((e) => [e.name, e.value ?? (e.name === 'SLUICE_BOOTSTRAP_TOKEN' ? BOOTSTRAP_TOKEN : '')]),
    );
    const port = fnPorts[i]!;
    start(`function-${name}`, repoPath('node_modules/.bin/tsx'), [repoPath('bin/function.ts')], {
      ...env,
      PORT: String(port),
      REDIS_URL: testBed().redisUrl,
      KUBECONFIG: await serviceAccountKubeconfig(serviceAccountName({ name })),
    });
    functionUrls.set(serviceAccountName({ name }), `http://127.0.0.1:${port}/`);
  }
  apiUrl = functionUrls.get(serviceAccountName({ name: 'api' }))!.replace(/\/$/, '');
  await Promise.all(FUNCTION_NAMES.map((name) => healthy(`function-${name}`, `${functionUrls.get(serviceAccountName({ name }))}healthz`)));

  // What the Broker's and the Triggers' controllers would write.
  const filterUrl = `http://127.0.0.1:${filterPort}`;
  await patchStatus('broker', BROKER, {
    address: { url: ingressUrl },
    annotations: { 'knative.dev/channelAddress': channelUrl },
    deadLetterSinkUri: deadLetterUri,
    conditions: [{ type: 'Ready', status: 'True' }],
  });
  const triggers = JSON.parse(await kubectlOk(kubeconfig, ['-n', P, 'get', 'triggers', '-o', 'json'])) as { items: KubeObject[] };
  const subscribers = [];
  for (const trigger of triggers.items) {
    const ref = (trigger.spec as { subscriber: { ref: { name: string } } }).subscriber.ref;
    await patchStatus('trigger', trigger.metadata.name, {
      subscriberUri: functionUrls.get(ref.name),
      deadLetterSinkUri: deadLetterUri,
      conditions: [{ type: 'Ready', status: 'True' }],
    });
    subscribers.push({
      name: trigger.metadata.name,
      uri: `${filterUrl}/triggers/${P}/${trigger.metadata.name}/${(trigger.metadata as { uid?: string }).uid}`,
    });
  }
  channel.setSubscribers(subscribers);

  const knativeEnv = { KUBECONFIG: kubeconfig, SYSTEM_NAMESPACE: KS, NAMESPACE: KS };
  start('ingress', join(binDir, 'ingress'), [], {
    ...knativeEnv,
    POD_NAME: 'mt-broker-ingress-0',
    CONTAINER_NAME: 'ingress',
    INGRESS_PORT: String(ingressPort),
    INGRESS_PORT_HTTPS: String(ingressTlsPort),
  });
  start('filter', join(binDir, 'filter'), [], {
    ...knativeEnv,
    POD_NAME: 'mt-broker-filter-0',
    CONTAINER_NAME: 'filter',
    FILTER_PORT: String(filterPort),
    FILTER_PORT_HTTPS: String(filterTlsPort),
  });
  for (const name of ['ingress', 'filter']) {
    const daemon = daemons.get(name)!;
    await eventually(
      async () => {
        if (!daemon.running) throw new Error(`${name} exited:\n${logTail(daemon.logFile)}`);
        return /(Ingress|Filter) starting/.test(readFileSync(daemon.logFile, 'utf8'));
      },
      120_000,
      `${name} serving`,
    );
  }

  // The adapters: each source's Deployment as Knative's controller makes it, then its process.
  sources = (JSON.parse(await kubectlOk(kubeconfig, ['-n', P, 'get', 'apiserversources', '-o', 'json'])) as { items: KubeObject[] }).items;
  for (const source of sources) {
    const env = adapterEnvironment(source, { sink: ingressUrl, systemNamespace: KS, namespaces: await selectedNamespaces(source) });
    adapterEnv.set(source.metadata.name, env);
    await kubectlOk(kubeconfig, ['apply', '-f', '-'], JSON.stringify(adapterDeployment(source, env)));
  }
  for (const source of sources) await startAdapter(source);
}, 1_800_000);

afterAll(async () => {
  await Promise.all([...daemons.values()].map((d) => d.stop()));
  await channel?.close();
  await deadLetters?.close();
  if (!kubeconfig) return;
  await kubectl(kubeconfig, ['delete', 'namespace', '--wait=false', '--ignore-not-found', P, W, KS, teamNamespace(1), teamNamespace(2)]);
  if (ownClusterScoped.length) await kubectl(kubeconfig, ['delete', '--ignore-not-found', '-f', '-'], toYaml(ownClusterScoped));
  if (process.env.SLUICE_TEST_KEEP) log(`logs kept in ${dir}`);
  else if (dir) rmSync(dir, { recursive: true, force: true });
}, 60_000);

/** The REST API (the `api` function's own port) with the bootstrap token. */
async function api(
  path: string,
  init: { method?: string; json?: unknown; yaml?: string } = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const headers: Record<string, string> = { authorization: `Bearer ${BOOTSTRAP_TOKEN}` };
  let body: string | undefined;
  if (init.yaml !== undefined) [headers['content-type'], body] = ['application/yaml', init.yaml];
  else if (init.json !== undefined) [headers['content-type'], body] = ['application/json', JSON.stringify(init.json)];
  const res = await fetch(`${apiUrl}${path}`, { method: init.method ?? 'GET', headers, body });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

async function stateOf(vns: string, name: string): Promise<string | undefined> {
  const { body } = await api(`/api/v1/namespaces/${vns}/deployments/${encodeURIComponent(name)}`);
  return (body.status as { state?: string } | undefined)?.state;
}

async function reaches(vns: string, name: string, state: string, timeoutMs = 90_000): Promise<void> {
  await eventually(async () => (await stateOf(vns, name)) === state, timeoutMs, `${vns}/${name} ${state}`).catch((err: unknown) => {
    throw new Error(`${(err as Error).message}; function logs:\n${functionLogTails()}`);
  });
}

function functionLogTails(): string {
  return [...daemons.values()].map((d) => `--- ${d.name}\n${logTail(d.logFile, 8)}`).join('\n');
}

async function patchState(vns: string, name: string, state: string): Promise<void> {
  const res = await api(`/api/v1/namespaces/${vns}/deployments/${encodeURIComponent(name)}`, {
    method: 'PATCH',
    json: { spec: { state } },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
}

/** Waits until the channel has nothing in flight for a while: every event delivered or given up. */
async function settled(): Promise<void> {
  let quietSince = Date.now();
  await eventually(
    async () => {
      if (!channel.idle) quietSince = Date.now();
      return Date.now() - quietSince > 2000;
    },
    120_000,
    'the channel idle',
  );
}

describe('Sluice on real Knative eventing (ApiServerSource adapters, broker ingress and filter)', () => {
  it('runs the multitenancy walkthrough: two tenants, targets, a deployment RUNNING, suspended, resumed, cancelled', async (ctx) => {
    if (unavailable) return ctx.skip();
    for (const ns of ['vvp-namespace-1', 'vvp-namespace-2']) {
      const res = await api('/namespaces/v1/namespaces', { method: 'POST', json: { name: `namespaces/${ns}` } });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
    }
    for (const team of [1, 2]) {
      const yaml = exampleText(`multitenancy/vvp-jobs-team-${team}.yaml`).replace(
        `namespace: vvp-jobs-team-${team}`,
        `namespace: ${teamNamespace(team)}`,
      );
      const res = await api(`/api/v1/namespaces/vvp-namespace-${team}/deployment-targets`, { method: 'POST', yaml });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
    }
    const created = await api('/api/v1/namespaces/vvp-namespace-1/deployments', {
      method: 'POST',
      yaml: exampleText('multitenancy/top-speed-windowing.yaml'),
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    await reaches('vvp-namespace-1', 'TopSpeedWindowing', 'RUNNING');
    const core = kubeConfig().makeApiClient(CoreV1Api);
    const pods = await core.listNamespacedPod({ namespace: teamNamespace(1), labelSelector: 'app=flink-job' });
    expect(pods.items.length).toBeGreaterThanOrEqual(2);

    // Suspending takes a savepoint, which needs a directory (as in Ververica's guide, a template change: an upgrade).
    const first = await api('/api/v1/namespaces/vvp-namespace-1/deployments/TopSpeedWindowing');
    const firstJob = (first.body.status as { running?: { jobId?: string } }).running?.jobId;
    const upgrade = await api('/api/v1/namespaces/vvp-namespace-1/deployments/TopSpeedWindowing', {
      method: 'PATCH',
      json: { spec: { template: { spec: { flinkConfiguration: { 'state.savepoints.dir': 'file:///tmp/savepoints' } } } } },
    });
    expect(upgrade.status, JSON.stringify(upgrade.body)).toBe(200);
    await eventually(
      async () => {
        const { body } = await api('/api/v1/namespaces/vvp-namespace-1/deployments/TopSpeedWindowing');
        const status = body.status as { state?: string; running?: { jobId?: string } };
        return status.state === 'RUNNING' && status.running?.jobId !== firstJob;
      },
      90_000,
      'the upgraded job RUNNING',
    );

    await patchState('vvp-namespace-1', 'TopSpeedWindowing', 'SUSPENDED');
    await reaches('vvp-namespace-1', 'TopSpeedWindowing', 'SUSPENDED');
    await patchState('vvp-namespace-1', 'TopSpeedWindowing', 'RUNNING');
    await reaches('vvp-namespace-1', 'TopSpeedWindowing', 'RUNNING');
    await patchState('vvp-namespace-1', 'TopSpeedWindowing', 'CANCELLED');
    await reaches('vvp-namespace-1', 'TopSpeedWindowing', 'CANCELLED');
    await eventually(
      async () => (await core.listNamespacedPod({ namespace: teamNamespace(1), labelSelector: 'app=flink-job' })).items.length === 0,
      60_000,
      "the job's pods gone",
    );
  }, 400_000);

  it("drives the operator's VvpDeployment example CR to its desired state", async (ctx) => {
    if (unavailable) return ctx.skip();
    // "In the simple case, set deploymentTargetName to a DeploymentTarget that points to the
    // Kubernetes Namespace into which you install the CR."
    const target = await api('/api/v1/namespaces/default/deployment-targets', {
      method: 'POST',
      json: { metadata: { name: 'test-target' }, spec: { kubernetes: { namespace: W } } },
    });
    expect(target.status, JSON.stringify(target.body)).toBe(201);
    // Authentication is on, as installed: the CR carries an editor's API token (the apikey example's annotation).
    const token = await api('/apitokens/v1/namespaces/default/apitokens', {
      method: 'POST',
      json: { name: 'namespaces/default/apitokens/operator', role: 'editor' },
    });
    expect(token.status, JSON.stringify(token.body)).toBe(201);
    const secret = (token.body.apiToken as { secret: string }).secret;
    await kubectlOk(kubeconfig, ['-n', W, 'apply', '-f', examplePath('operator/vvp-deployment.yaml')]);
    await kubectlOk(kubeconfig, ['-n', W, 'annotate', 'vvpdeployment', 'test-cr', `apikey=${secret}`]);
    const cr = await eventually(
      async () => {
        const out = JSON.parse(await kubectlOk(kubeconfig, ['-n', W, 'get', 'vvpdeployments', 'test-cr', '-o', 'json'])) as {
          metadata: { generation: number };
          status?: { observedGeneration?: number; conditions?: { type: string; status: string }[] };
        };
        return out.status?.observedGeneration === out.metadata.generation &&
          out.status.conditions?.some((c) => c.type === 'Synced' && c.status === 'True')
          ? out
          : undefined;
      },
      90_000,
      'test-cr synced',
    ).catch((err: unknown) => {
      throw new Error(`${(err as Error).message}; logs:\n${functionLogTails()}`);
    });
    expect(cr.status?.conditions).toBeDefined();
    const deployment = await api('/api/v1/namespaces/default/deployments/test-cr');
    expect(deployment.status).toBe(200);
    expect(deployment.body.metadata).toMatchObject({ name: 'test-cr', displayName: 'abc' });
    expect(deployment.body.spec).toMatchObject({
      state: 'CANCELLED',
      deploymentTargetName: 'test-target',
      maxJobCreationAttempts: 99,
      maxSavepointCreationAttempts: 999,
    });
  }, 200_000);

  // The adapters start one by one, the adapter of the adapter pods after the FlinkDeployment
  // stream's, so that pod's readiness was never seen. Its deletion's update (still Ready) must
  // not count as a readiness: that resync would carry the change the stopped adapter misses.
  // Single-process mode's repair is tested in test/e2e/missed-events.test.ts.
  it('repairs a change made while an adapter was down as soon as the adapter is back, not at the ping', async (ctx) => {
    if (unavailable) return ctx.skip();
    const yaml = exampleText('multitenancy/top-speed-windowing.yaml')
      .replace('name: TopSpeedWindowing', 'name: Missed')
      .replace('namespace: vvp-namespace-1', 'namespace: vvp-namespace-2')
      .replace('deploymentTargetName: vvp-jobs-team-1', 'deploymentTargetName: vvp-jobs-team-2');
    const created = await api('/api/v1/namespaces/vvp-namespace-2/deployments', { method: 'POST', yaml });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    await reaches('vvp-namespace-2', 'Missed', 'RUNNING');
    // Until its job's last status events are through, any of them would run deploymentStep
    // (level-triggered, it reads the deployment) and carry the change this test withholds.
    await settled();

    const stream = sources.find(
      (s) => s.metadata.name === streamName({ resource: FLINK_DEPLOYMENTS, scope: 'platform', mode: 'resource' }),
    )!;
    const stopped = await stopAdapter(stream);
    await patchState('vvp-namespace-2', 'Missed', 'CANCELLED');
    // No event carries the change while the adapter is down, and its pod going away starts no resync.
    await new Promise((r) => setTimeout(r, 3000));
    expect(await stateOf('vvp-namespace-2', 'Missed')).toBe('RUNNING');
    const resyncFor = (p: V1Pod) =>
      new RegExp(`"object":"v1/Pod/${P}/${p.metadata!.name!}".*"source":"${stream.metadata.name}".*"msg":"resync: event source restarted"`);
    const functionLogs = () => FUNCTION_NAMES.map((n) => readFileSync(daemons.get(`function-${n}`)!.logFile, 'utf8')).join('\n');
    expect(functionLogs()).not.toMatch(resyncFor(stopped));

    // The new adapter sends nothing for it either (it lists, then watches); its pod's readiness
    // makes the functions it feeds resync.
    const pod = await startAdapter(stream);
    await reaches('vvp-namespace-2', 'Missed', 'CANCELLED', 60_000);
    // The resync logs when it has stepped every object, after the deployment's status is written.
    await eventually(
      async () => resyncFor(pod).test(readFileSync(daemons.get('function-deploymentStep')!.logFile, 'utf8')),
      30_000,
      "deploymentStep's resync for the new adapter pod logged",
    );
    expect(functionLogs()).not.toMatch(resyncFor(stopped));
  }, 200_000);

  it('answered every delivery with a 2xx and an empty body in the end, and dead-lettered nothing', async (ctx) => {
    if (unavailable) return ctx.skip();
    await settled();
    const byTrigger = new Set(channel.deliveries.map((d) => d.trigger));
    log(
      `${channel.deliveries.length} deliveries to the filter over ${byTrigger.size} triggers; ${deadLetters.received.length} dead letters`,
    );
    expect(channel.deliveries.length).toBeGreaterThan(0);
    // A 2xx answer has an empty body (anything else the filter would have turned into a 502).
    expect(
      channel.deliveries.filter((d) => d.status < 300 && d.body !== ''),
      '2xx answers with a body',
    ).toEqual([]);
    // Two events for one object at once: the second finds the first's lock and answers 503
    // ("retry later"), which the Broker retries. Nothing else fails, and every delivery ends
    // with a 2xx.
    const retried = channel.deliveries.filter((d) => d.status >= 300);
    log(`${retried.length} deliveries answered 503 for a held lock and retried`);
    for (const d of retried)
      expect(Buffer.from((JSON.parse(d.body) as { errresponsebody: string }).errresponsebody, 'base64').toString()).toMatch(
        /"outcome":"unavailable","reason":"another instance holds the lock/,
      );
    const last = new Map<string, Delivery>();
    for (const d of channel.deliveries) last.set(`${d.trigger}|${d.id}`, d);
    expect(
      [...last.values()].filter((d) => d.status < 200 || d.status >= 300),
      'deliveries that did not end with a 2xx',
    ).toEqual([]);
    expect(channel.replies).toEqual([]);
    expect(deadLetters.received).toEqual([]);
    // The events came from the adapters: every function was reached through its Triggers.
    const logs = FUNCTION_NAMES.filter((n) => n !== 'api').map(
      (n) => [n, readFileSync(daemons.get(`function-${n}`)!.logFile, 'utf8')] as const,
    );
    for (const [name, text] of logs) expect(text, `${name} handled an event`).toMatch(/"outcome":"handled"/);
  });
});
