import { AppsV1Api, CoreV1Api, PatchStrategy, setHeaderOptions, type V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DELAY_ANNOTATION, OUTCOME_ANNOTATION, SIM_NODE } from '../../shared/local/pod-simulator.js';
import { createTestNamespace, deleteTestNamespace, eventually, kubeConfig } from './env.js';

const core = () => kubeConfig().makeApiClient(CoreV1Api);
const ready = (pod: V1Pod) => pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

describe('pod simulator', () => {
  let ns: string;
  beforeAll(async () => {
    ns = await createTestNamespace('bed-sim');
  });
  afterAll(async () => {
    await deleteTestNamespace(ns);
  });

  const createPod = (name: string, annotations: Record<string, string> = {}) =>
    core().createNamespacedPod({
      namespace: ns,
      body: {
        metadata: { name, annotations },
        spec: {
          restartPolicy: 'Never',
          containers: [
            { name: 'main', image: 'flink:1.17' },
            { name: 'side', image: 'busybox' },
          ],
        },
      },
    });
  const readPod = (name: string) => core().readNamespacedPod({ name, namespace: ns });
  const podIn = (name: string, phase: string) =>
    eventually(
      async () => {
        const pod = await readPod(name);
        return pod.status?.phase === phase ? pod : undefined;
      },
      15_000,
      `${name} to be ${phase}`,
    );

  it('registers a Ready node with capacity', async () => {
    const node = await core().readNode({ name: SIM_NODE });
    expect(node.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    expect(node.status?.allocatable?.pods).toBe('500');
    expect(node.spec?.taints ?? []).toEqual([]);
  });

  it('runs a Deployment: Deployment → ReplicaSet → Pod, bound and Ready', async () => {
    const apps = kubeConfig().makeApiClient(AppsV1Api);
    const labels = { app: 'web' };
    await apps.createNamespacedDeployment({
      namespace: ns,
      body: {
        metadata: { name: 'web' },
        spec: {
          replicas: 2,
          selector: { matchLabels: labels },
          template: { metadata: { labels }, spec: { containers: [{ name: 'web', image: 'nginx' }] } },
        },
      },
    });
    const deployment = await eventually(
      async () => {
        const d = await apps.readNamespacedDeployment({ name: 'web', namespace: ns });
        return d.status?.readyReplicas === 2 ? d : undefined;
      },
      30_000,
      'the deployment to have 2 ready replicas',
    );
    expect(deployment.status?.availableReplicas).toBe(2);

    const pods = (await core().listNamespacedPod({ namespace: ns, labelSelector: 'app=web' })).items;
    expect(pods).toHaveLength(2);
    const rs = (await apps.listNamespacedReplicaSet({ namespace: ns, labelSelector: 'app=web' })).items;
    expect(rs).toHaveLength(1);
    expect(rs[0]!.metadata?.ownerReferences?.[0]?.name).toBe('web');
    for (const pod of pods) {
      expect(pod.metadata?.ownerReferences?.[0]?.uid).toBe(rs[0]!.metadata?.uid);
      expect(pod.spec?.nodeName).toBe(SIM_NODE);
      expect(pod.status?.phase).toBe('Running');
      expect(ready(pod)).toBe(true);
      expect(pod.status?.podIP).toMatch(/^10\.244\.\d+\.\d+$/);
      expect(pod.status?.containerStatuses?.[0]).toMatchObject({ name: 'web', ready: true, started: true, restartCount: 0 });
      expect(pod.status?.containerStatuses?.[0]?.state?.running?.startedAt).toBeDefined();
    }
    expect(new Set(pods.map((p) => p.status?.podIP)).size).toBe(2);
  });

  it('fails a pod annotated outcome=fail', async () => {
    await createPod('failing', { [OUTCOME_ANNOTATION]: 'fail' });
    const pod = await podIn('failing', 'Failed');
    expect(ready(pod)).toBe(false);
    for (const status of pod.status?.containerStatuses ?? []) {
      expect(status.state?.terminated).toMatchObject({ exitCode: 1, reason: 'Error' });
    }
    expect(pod.status?.containerStatuses).toHaveLength(2);
  });

  it('completes a pod annotated outcome=succeed', async () => {
    await createPod('done', { [OUTCOME_ANNOTATION]: 'succeed' });
    const pod = await podIn('done', 'Succeeded');
    expect(pod.status?.containerStatuses?.map((s) => s.state?.terminated?.exitCode)).toEqual([0, 0]);
    expect(pod.status?.containerStatuses?.[0]?.state?.terminated?.reason).toBe('Completed');
  });

  it('crash-loops a pod annotated outcome=crash: Running but not ready, as with restartPolicy Always', async () => {
    await createPod('crashing', { [OUTCOME_ANNOTATION]: 'crash' });
    const pod = await eventually(
      async () => {
        const p = await readPod('crashing');
        return p.status?.containerStatuses?.length ? p : undefined;
      },
      15_000,
      'container statuses',
    );
    expect(pod.status?.phase).toBe('Running');
    expect(ready(pod)).toBe(false);
    const main = pod.status?.containerStatuses?.[0];
    expect(main?.state?.waiting?.reason).toBe('CrashLoopBackOff');
    expect(main?.lastState?.terminated).toMatchObject({ exitCode: 1, reason: 'Error' });
    expect(main?.restartCount).toBe(1);
  });

  it('leaves a pod annotated outcome=hang Pending, though bound', async () => {
    await createPod('stuck', { [OUTCOME_ANNOTATION]: 'hang' });
    await eventually(async () => (await readPod('stuck')).spec?.nodeName === SIM_NODE, 10_000, 'binding');
    await new Promise((r) => setTimeout(r, 500));
    const pod = await readPod('stuck');
    expect(pod.status?.phase).toBe('Pending');
    expect(ready(pod)).toBe(false);
  });

  it('delays readiness by delay-ms', async () => {
    const created = Date.now();
    await createPod('slow', { [DELAY_ANNOTATION]: '1500' });
    await eventually(async () => (await readPod('slow')).spec?.nodeName === SIM_NODE, 10_000, 'binding');
    expect((await readPod('slow')).status?.phase).toBe('Pending');
    const pod = await podIn('slow', 'Running');
    expect(Date.now() - created).toBeGreaterThanOrEqual(1400);
    expect(ready(pod)).toBe(true);
  });

  it('moves a running pod when its outcome annotation changes', async () => {
    await createPod('flip');
    await podIn('flip', 'Running');
    await core().patchNamespacedPod(
      { name: 'flip', namespace: ns, body: { metadata: { annotations: { [OUTCOME_ANNOTATION]: 'fail' } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    const pod = await podIn('flip', 'Failed');
    expect(pod.status?.containerStatuses?.[0]?.state?.terminated?.exitCode).toBe(1);
  });

  it('finalizes a graceful deletion, as a kubelet would', async () => {
    await createPod('doomed');
    await podIn('doomed', 'Running');
    const started = Date.now();
    await core().deleteNamespacedPod({ name: 'doomed', namespace: ns }); // default grace: 30s
    await eventually(
      async () => {
        try {
          await readPod('doomed');
          return false;
        } catch (err) {
          return (err as { code?: number }).code === 404;
        }
      },
      10_000,
      'the pod to be gone',
    );
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
