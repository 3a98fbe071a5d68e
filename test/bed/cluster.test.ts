import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiextensionsV1Api, AuthenticationV1Api, CoreV1Api, CustomObjectsApi, KubeConfig, VersionApi } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalCluster } from '../../shared/local/cluster.js';
import { type PodSimulator, startPodSimulator } from '../../shared/local/pod-simulator.js';
import { createTestNamespace, deleteTestNamespace, eventually, kubeConfig, testBed } from './env.js';

const codeOf = (err: unknown) => (err as { code?: number }).code;
const rejection = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (err: unknown) => err,
  );

describe('local cluster', () => {
  let ns: string;
  const core = () => kubeConfig().makeApiClient(CoreV1Api);
  beforeAll(async () => {
    ns = await createTestNamespace('bed-cluster');
  });
  afterAll(async () => {
    await deleteTestNamespace(ns);
  });

  it('writes kubeconfigs for admin, alice and bob with their own tokens', () => {
    const bed = testBed();
    expect(bed.server).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const tokens = new Set(Object.values(bed.tokens));
    expect(tokens.size).toBe(3);
    for (const user of ['admin', 'alice', 'bob'] as const) {
      const kc = kubeConfig(user);
      expect(kc.getCurrentUser()?.token).toBe(bed.tokens[user]);
      expect(kc.getCurrentCluster()?.server).toBe(bed.server);
    }
  });

  it('hands its coordinates to test processes through the environment too', () => {
    const bed = testBed();
    expect(process.env.SLUICE_TEST_KUBECONFIG).toBe(bed.kubeconfig);
    expect(process.env.SLUICE_TEST_REDIS_URL).toBe(bed.redisUrl);
    expect(process.env.SLUICE_TEST_DIR).toBe(bed.dir);
    expect(JSON.parse(process.env.SLUICE_TEST_TOKENS ?? '{}')).toEqual(bed.tokens);
  });

  it('runs the Kubernetes release scripts/kube/go.mod pins', async () => {
    const goMod = readFileSync(new URL('../../scripts/kube/go.mod', import.meta.url), 'utf8');
    const pinned = /^\s*k8s\.io\/kubernetes (v\S+)/m.exec(goMod)?.[1];
    expect(pinned).toMatch(/^v1\.\d+\.\d+$/);
    const version = await kubeConfig().makeApiClient(VersionApi).getCode();
    expect(version.gitVersion).toBe(pinned);
  });

  it('issues service account tokens that authenticate as the service account', async () => {
    const token = await core().createNamespacedServiceAccountToken({
      namespace: ns,
      name: 'default',
      body: { spec: { audiences: [], expirationSeconds: 600 } },
    });
    expect(token.status?.token).toBeTruthy();
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'c', server: testBed().server, skipTLSVerify: true }],
      users: [{ name: 'sa', token: token.status!.token }],
      contexts: [{ name: 'x', cluster: 'c', user: 'sa' }],
      currentContext: 'x',
    });
    const review = await kc.makeApiClient(AuthenticationV1Api).createSelfSubjectReview({ body: {} });
    expect(review.status?.userInfo?.username).toBe(`system:serviceaccount:${ns}:default`);
  });

  it('enforces RBAC: alice may not list secrets in kube-system, admin may', async () => {
    const alice = kubeConfig('alice').makeApiClient(CoreV1Api);
    const err = await rejection(alice.listNamespacedSecret({ namespace: 'kube-system' }));
    // 403 (not 401): alice is authenticated by her token, then refused by RBAC.
    expect(codeOf(err)).toBe(403);
    const list = await core().listNamespacedSecret({ namespace: 'kube-system' });
    expect(Array.isArray(list.items)).toBe(true);
  });

  it('rejects an unknown token', async () => {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'c', server: testBed().server, skipTLSVerify: true }],
      users: [{ name: 'u', token: 'not-a-token' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
    expect(codeOf(await rejection(kc.makeApiClient(CoreV1Api).listNamespace()))).toBe(401);
  });

  it('serves a CRD and its custom objects, maps included', async () => {
    const ext = kubeConfig().makeApiClient(ApiextensionsV1Api);
    const name = 'widgets.bed.sluice.dev';
    await ext.createCustomResourceDefinition({
      body: {
        metadata: { name },
        spec: {
          group: 'bed.sluice.dev',
          names: { kind: 'Widget', plural: 'widgets', singular: 'widget', listKind: 'WidgetList' },
          scope: 'Namespaced',
          versions: [
            {
              name: 'v1',
              served: true,
              storage: true,
              subresources: { status: {} },
              schema: {
                openAPIV3Schema: {
                  type: 'object',
                  properties: {
                    spec: {
                      type: 'object',
                      properties: {
                        size: { type: 'integer' },
                        labels: { type: 'object', additionalProperties: { type: 'string' } },
                      },
                    },
                    status: { type: 'object', x_kubernetes_preserve_unknown_fields: true } as object,
                  },
                },
              },
            },
          ],
        },
      },
    });
    await eventually(
      async () => {
        const crd = await ext.readCustomResourceDefinition({ name });
        return crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True');
      },
      20_000,
      'CRD established',
    );

    const custom = kubeConfig().makeApiClient(CustomObjectsApi);
    const target = { group: 'bed.sluice.dev', version: 'v1', namespace: ns, plural: 'widgets' };
    const created = await eventually(
      () =>
        custom.createNamespacedCustomObject({
          ...target,
          body: {
            apiVersion: 'bed.sluice.dev/v1',
            kind: 'Widget',
            metadata: { name: 'w1' },
            spec: { size: 3, labels: { a: 'b' }, dropped: true },
          },
        }) as Promise<{ metadata: { uid: string }; spec: Record<string, unknown> }>,
      20_000,
      'first custom object',
    );
    expect(created.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    // Structural schema: unknown fields are pruned, maps survive the round trip.
    expect(created.spec).toEqual({ size: 3, labels: { a: 'b' } });
    const list = (await custom.listNamespacedCustomObject(target)) as { items: { metadata: { name: string } }[] };
    expect(list.items.map((i) => i.metadata.name)).toEqual(['w1']);
  });

  it('garbage-collects a child once its owner is deleted', async () => {
    const owner = await core().createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'owner' }, data: { x: '1' } } });
    await core().createNamespacedConfigMap({
      namespace: ns,
      body: {
        metadata: {
          name: 'child',
          ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata!.uid! }],
        },
      },
    });
    await core().deleteNamespacedConfigMap({ name: 'owner', namespace: ns });
    await eventually(
      async () => codeOf(await rejection(core().readNamespacedConfigMap({ name: 'child', namespace: ns }))) === 404,
      30_000,
      'the child to be collected',
    );
  });
});

describe('kube-apiserver restart (a private cluster, so the shared one stays up)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-restart-'));
  let cluster: Awaited<ReturnType<typeof startLocalCluster>>;
  let simulator: PodSimulator;
  beforeAll(async () => {
    cluster = await startLocalCluster({ dir, log: () => {} });
    simulator = await startPodSimulator(cluster.kubeconfig, { log: () => {} });
  });
  afterAll(async () => {
    await simulator?.stop();
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps the data in etcd across a restart on the same address', async () => {
    const kc = new KubeConfig();
    kc.loadFromFile(cluster.kubeconfig);
    const core = kc.makeApiClient(CoreV1Api);
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'survivor' }, data: { k: 'v' } } });
    const before = cluster.pids;

    await cluster.restartApiServer();

    expect(cluster.pids.apiserver).not.toBe(before.apiserver);
    expect(cluster.pids.etcd).toBe(before.etcd);
    const read = await core.readNamespacedConfigMap({ name: 'survivor', namespace: 'default' });
    expect(read.data).toEqual({ k: 'v' });

    // The pod simulator's watch resumed: a pod created after the restart still runs.
    await core.createNamespacedPod({
      namespace: 'default',
      body: { metadata: { name: 'after' }, spec: { containers: [{ name: 'c', image: 'x' }] } },
    });
    await eventually(
      async () => (await core.readNamespacedPod({ name: 'after', namespace: 'default' })).status?.phase === 'Running',
      20_000,
      'the pod to run',
    );
  });

  it('is unreachable while stopped and leaves no process behind', async () => {
    await simulator.stop();
    const pids = Object.values(cluster.pids);
    await cluster.stop();
    for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow();
    const kc = new KubeConfig();
    kc.loadFromFile(cluster.kubeconfig);
    const err = await rejection(kc.makeApiClient(CoreV1Api).listNamespace());
    expect(String((err as Error).message ?? err)).toMatch(/ECONNREFUSED|fetch failed|connect/i);
  });
});
