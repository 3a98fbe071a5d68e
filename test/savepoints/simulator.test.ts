import { CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TypedKube } from '../../shared/kube/typed.js';
import { SAVEPOINT_ANNOTATION, SAVEPOINT_TRIGGERED_REASON } from '../../shared/local/pod-simulator.js';
import { flinkJobId } from '../../shared/vvp/flink-resources.js';
import { FlinkRestClient, FlinkUnreachable, podIpResolver } from '../../shared/vvp/flink-rest.js';
import { createTestNamespace, deleteTestNamespace, kubeConfig } from '../bed/env.js';
import { eventually } from './support.js';

/** The pod simulator's JobManager pods: a loopback IP each, with a Flink REST stand-in behind it. */
describe('pod simulator: Flink REST stand-ins for JobManager pods', () => {
  const core = () => kubeConfig().makeApiClient(CoreV1Api);
  let ns = '';
  beforeAll(async () => {
    ns = await createTestNamespace('sp-sim');
  });
  afterAll(() => deleteTestNamespace(ns));

  const pod = (name: string, labels: Record<string, string>, annotations: Record<string, string> = {}) =>
    core().createNamespacedPod({
      namespace: ns,
      body: {
        metadata: { name, labels, annotations },
        spec: { restartPolicy: 'Never', containers: [{ name: 'flink', image: 'flink:1.17' }] },
      },
    });
  const phase = (name: string, want: string) =>
    eventually(
      async () => {
        const p = await core().readNamespacedPod({ name, namespace: ns });
        return p.status?.phase === want ? (p as V1Pod) : undefined;
      },
      `${name} ${want}`,
      15_000,
    );

  it('gives a JobManager a loopback IP where its job answers; stop-with-savepoint makes the pod Succeeded', async () => {
    const jobId = '0c3a2b1e-1111-4222-8333-944455556666';
    await pod('jm', { component: 'jobmanager', jobId });
    await pod('tm', { component: 'taskmanager', jobId });
    const jm = await phase('jm', 'Running');
    expect(jm.status?.podIP).toMatch(/^127\.0\.\d+\.\d+$/);
    expect((await phase('tm', 'Running')).status?.podIP).toMatch(/^10\.244\.\d+\.\d+$/);

    const url = await podIpResolver(new TypedKube(kubeConfig()))({ namespace: ns, jobId });
    expect(url).toBe(`http://${jm.status!.podIP}:8081`);
    const flink = new FlinkRestClient(url);
    expect(await flink.jobState(flinkJobId(jobId))).toBe('RUNNING');
    const trigger = await flink.stopWithSavepoint(flinkJobId(jobId), 'file:///sp');
    const done = await eventually(
      async () => {
        const s = await flink.savepointStatus(flinkJobId(jobId), trigger);
        return s.state === 'COMPLETED' ? s : undefined;
      },
      'savepoint',
      10_000,
    );
    expect(done.state === 'COMPLETED' && done.location).toMatch(/^file:\/\/\/sp\/savepoint-/);
    const finished = await phase('jm', 'Succeeded');
    expect(finished.status?.podIP).toBe(jm.status?.podIP);
    expect((await core().readNamespacedPod({ name: 'tm', namespace: ns })).status?.phase).toBe('Running');
    const events = await core().listNamespacedEvent({
      namespace: ns,
      fieldSelector: `reason=${SAVEPOINT_TRIGGERED_REASON},involvedObject.name=jm`,
    });
    expect(events.items.map((e) => e.message)).toEqual([`stop-with-savepoint ${trigger} to file:///sp`]);

    // Gone with its pod.
    await core().deleteNamespacedPod({ name: 'jm', namespace: ns });
    await eventually(
      async () => {
        try {
          await flink.jobState(flinkJobId(jobId));
          return undefined;
        } catch (err) {
          return err instanceof FlinkUnreachable ? true : undefined;
        }
      },
      'stand-in stopped',
      10_000,
    );
  });

  it('fails or stalls savepoints as annotated; the job keeps running', async () => {
    const jobs = { fail: '0c3a2b1e-1111-4222-8333-000000000001', stall: '0c3a2b1e-1111-4222-8333-000000000002' };
    for (const [behaviour, jobId] of Object.entries(jobs)) {
      await pod(
        `jm-${behaviour}`,
        { component: 'jobmanager', jobId },
        { [SAVEPOINT_ANNOTATION]: behaviour, 'sim.sluice.dev/savepoint-delay-ms': '50' },
      );
    }
    for (const [behaviour, jobId] of Object.entries(jobs)) {
      const ip = (await phase(`jm-${behaviour}`, 'Running')).status!.podIP!;
      const flink = new FlinkRestClient(`http://${ip}:8081`);
      const trigger = await flink.stopWithSavepoint(flinkJobId(jobId), 'file:///sp');
      await new Promise((r) => setTimeout(r, 300));
      const s = await flink.savepointStatus(flinkJobId(jobId), trigger);
      expect(s.state).toBe(behaviour === 'fail' ? 'FAILED' : 'IN_PROGRESS');
      expect(await flink.jobState(flinkJobId(jobId))).toBe('RUNNING');
      expect((await core().readNamespacedPod({ name: `jm-${behaviour}`, namespace: ns })).status?.phase).toBe('Running');
    }
  });

  it('gives a JobManager that fails before it ran an ordinary IP', async () => {
    await pod(
      'jm-failed',
      { component: 'jobmanager', jobId: '0c3a2b1e-1111-4222-8333-000000000003' },
      { 'sim.sluice.dev/outcome': 'fail' },
    );
    expect((await phase('jm-failed', 'Failed')).status?.podIP).toMatch(/^10\.244\./);
  });
});
