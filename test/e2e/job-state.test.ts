import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OUTCOME_ANNOTATION } from '../../shared/local/pod-simulator.js';
import { FlinkRestClient } from '../../shared/vvp/flink-rest.js';
import { type RunningSluice, startSluice } from '../support/sluice.js';
import { client, eventually, jobPods, tenant } from '../savepoints/support.js';

/**
 * The fast counterparts of test/flink/job-state.test.ts, on the pod simulator's Flink REST
 * stand-in (which answers the same REST shapes): a job cancelled through Flink's REST API is
 * CANCELLED, a crash-looping TaskManager fails each attempt, and the job's status shows what
 * Flink said. Pods decide what Flink cannot say: a JobManager gone for good fails the attempt;
 * a pod the scheduler cannot place is shown, not failed.
 */
describe("a job's state from Flink, against the stand-in", () => {
  let sluice: RunningSluice;
  let namespace = '';
  let api: ReturnType<typeof client>;
  const vns = 'state-fast';

  beforeAll(async () => {
    sluice = await startSluice();
    ({ namespace } = await tenant(sluice, vns));
    api = client(sluice, vns);
  }, 60_000);
  afterAll(() => sluice?.stop());

  const create = async (name: string, extra: Record<string, unknown> = {}, template: Record<string, unknown> = {}) => {
    const body = {
      metadata: { name },
      spec: {
        state: 'RUNNING',
        deploymentTargetName: 'target',
        ...extra,
        template: {
          spec: {
            artifact: { kind: 'JAR', jarUri: 'file:///flink/examples/streaming/TopSpeedWindowing.jar', flinkVersion: '1.20' },
            parallelism: 1,
            ...template,
          },
        },
      },
    };
    const res = await sluice.api(`/api/v1/namespaces/${vns}/deployments`, { method: 'POST', body: JSON.stringify(body) });
    expect(res.status, await res.clone().text()).toBe(201);
  };

  it("RUNNING shows Flink's own state in the job's status.started; cancelled in Flink, the deployment is CANCELLED and the pods go", async () => {
    await create('cancelled-in-flink');
    const jobId = (await api.state('cancelled-in-flink', 'RUNNING')).status.running!.jobId!;
    const job = await (await sluice.api(`/api/v1/namespaces/${vns}/jobs/${jobId}`)).json();
    expect(job).toMatchObject({
      status: {
        state: 'STARTED',
        started: { flinkJobId: jobId.replace(/-/g, ''), observedFlinkJobStatus: 'RUNNING', observedFlinkJobRestarts: 0 },
      },
    });

    const jm = (await jobPods(sluice, namespace, jobId)).find((p) => p.metadata?.labels?.component === 'jobmanager');
    await new FlinkRestClient(`http://${jm!.status!.podIP}:8081`).cancel(jobId.replace(/-/g, ''));
    const cancelled = await api.state('cancelled-in-flink', 'CANCELLED');
    expect(cancelled.spec.state).toBe('RUNNING');
    expect(cancelled.status.running).toBeUndefined();
    await eventually(async () => ((await jobPods(sluice, namespace, jobId)).length === 0 ? true : undefined), 'the pods deleted');
    // The user's next wish starts anew: CANCELLED, then RUNNING.
    await api.patch('cancelled-in-flink', { spec: { state: 'CANCELLED' } });
    await api.patch('cancelled-in-flink', { spec: { state: 'RUNNING' } });
    const again = await api.state('cancelled-in-flink', 'RUNNING', (d) => d.status.running?.jobId !== jobId);
    expect(again.status.running?.jobId).not.toBe(jobId);
  });

  it('a crash-looping TaskManager fails each attempt: FAILED after maxJobCreationAttempts, with the reason', async () => {
    await create(
      'tm-crash-loop',
      { maxJobCreationAttempts: 2 },
      { kubernetes: { taskManagerPodTemplate: { metadata: { annotations: { [OUTCOME_ANNOTATION]: 'crash' } } } } },
    );
    const failed = await api.state('tm-crash-loop', 'FAILED');
    expect(failed.status.failure?.message).toMatch(/failed after 2 attempt\(s\): CrashLoopBackOff: TaskManager pod .* is crash-looping/);
  });

  it('a JobManager gone for good (its Kubernetes Job deleted) fails the attempt, and the next attempt runs', async () => {
    await create('jm-lost');
    const jobId = (await api.state('jm-lost', 'RUNNING')).status.running!.jobId!;
    await sluice.kube.batch.deleteNamespacedJob({ namespace, name: `job-${jobId}-jobmanager`, propagationPolicy: 'Background' });
    const failed = await eventually(
      async () => {
        const job = (await (await sluice.api(`/api/v1/namespaces/${vns}/jobs/${jobId}`)).json()) as {
          status?: { state?: string; failure?: unknown };
        };
        return job.status?.state === 'FAILED' ? job : undefined;
      },
      'the job FAILED',
      60_000,
    );
    expect(failed.status!.failure).toMatchObject({
      reason: 'JobManagerLost',
      message: `the JobManager is gone: its Kubernetes Job job-${jobId}-jobmanager was deleted`,
    });
    const again = await api.state('jm-lost', 'RUNNING', (d) => !!d.status.running?.jobId && d.status.running.jobId !== jobId);
    expect(again.status.running?.jobId).not.toBe(jobId);
  });

  it('a TaskManager the scheduler cannot place is shown in the job, which stays STARTING; placed, the job runs', async () => {
    await create(
      'no-room',
      {},
      { kubernetes: { taskManagerPodTemplate: { metadata: { annotations: { [OUTCOME_ANNOTATION]: 'unschedulable' } } } } },
    );
    const waiting = await eventually(async () => {
      const jobs = ((await (await sluice.api(`/api/v1/namespaces/${vns}/jobs`)).json()) as { items: unknown[] }).items as {
        metadata: { id: string; deploymentName: string };
        status?: { state?: string; pods?: { unschedulable?: string } };
      }[];
      return jobs.find((j) => j.metadata.deploymentName === 'no-room' && j.status?.pods?.unschedulable);
    }, 'the unschedulable pod shown');
    expect(waiting.status!.state).toBe('STARTING');
    expect(waiting.status!.pods!.unschedulable).toMatch(
      /^TaskManager pod .* cannot be scheduled: 0\/1 nodes are available: 1 Insufficient cpu\./,
    );
    // Room comes: the pod is placed, and the job runs without a new attempt.
    const pending = (await jobPods(sluice, namespace, waiting.metadata.id)).find((p) => p.metadata?.labels?.component === 'taskmanager')!;
    await sluice.kube.core.patchNamespacedPod(
      { namespace, name: pending.metadata!.name!, body: { metadata: { annotations: { [OUTCOME_ANNOTATION]: null } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    const running = await api.state('no-room', 'RUNNING');
    expect(running.status.running?.jobId).toBe(waiting.metadata.id);
  });
});
