import type { V1Job, V1Pod } from '@kubernetes/client-node';
import { isConflict, isNotFound } from '../../shared/kube/client.js';
import { FLINK_JOBS, JOBS, PODS } from '../../shared/kube/resources.js';
import { type FunctionContext, type ObjectEvent, defineFunction, when } from '../../shared/runtime/define.js';
import { permissions } from './permissions.js';
import { Unavailable } from '../../shared/runtime/errors.js';
import type { JobResource } from '../../shared/model/index.js';
import { JOB_PODS_SELECTOR, flinkJobId, jobManagerName, jobPodsSelector, taskManagerCount } from '../../shared/vvp/flink-resources.js';
import { FlinkRestClient, FlinkRestError, FlinkUnreachable, resolverWithPods } from '../../shared/vvp/flink-rest.js';
import { stableHash } from '../../shared/vvp/ids.js';
import { type FlinkObservation, type JobManagerJob, decided, deriveJobStatus } from '../../shared/vvp/job-status.js';
import { inTransition } from './logic.js';

/** The Job an event is about: `<vns>.<jobId>` from a pod's labels, or the FlinkJob itself. */
async function jobName(event: ObjectEvent, ctx: FunctionContext): Promise<string | undefined> {
  if (event.ref.kind === FLINK_JOBS.kind) return event.ref.name;
  let labels = event.mode === 'resource' ? event.object.metadata.labels : undefined;
  if (!labels?.jobId) {
    // Reference mode carries no labels: read the pod (gone after a delete: the job's other pods still decide).
    const pod = await ctx.kube
      .api<V1Pod>(PODS)
      .get({ namespace: event.ref.namespace!, name: event.ref.name })
      .catch(() => undefined);
    labels = pod?.metadata?.labels;
  }
  return labels?.jobId && labels.vvpNamespace ? `${labels.vvpNamespace}.${labels.jobId}` : undefined;
}

const isReady = (p: V1Pod) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
/** How long one step waits for a job whose pods are all up to run in Flink, before it leaves that to a recheck. */
const FLINK_POLL_BUDGET_MS = 3_000;
const FLINK_POLL_INTERVAL_MS = 500;

/**
 * What the job's JobManager says about it, when one is ready to answer: its state, restart
 * count, and the newest exception when the job fails. Short timeouts: the step holds a lock.
 */
async function observeFlink(job: JobResource, pods: V1Pod[]): Promise<FlinkObservation> {
  const jm = pods.find((p) => p.metadata?.labels?.component === 'jobmanager' && !p.metadata.deletionTimestamp && isReady(p));
  if (!jm) return { kind: 'none' };
  const namespace = job.spec.spec.targetNamespace;
  const jobId = job.spec.metadata.id;
  const fid = flinkJobId(jobId);
  try {
    // The JobManager's IP from the pods this step listed: no second list of them.
    const flink = new FlinkRestClient(await resolverWithPods(pods)({ namespace, jobId }), { timeoutMs: 2_000, retries: 1 });
    const { jid, state, tasksRunning } = await flink.job(fid);
    const [restarts, rootException] = await Promise.all([
      flink.restarts(fid).catch(() => undefined),
      state === 'FAILED' || state === 'FAILING' || state === 'RESTARTING' ? flink.rootException(fid).catch(() => undefined) : undefined,
    ]);
    return {
      kind: 'job',
      jid,
      state,
      tasksRunning,
      ...(restarts !== undefined ? { restarts } : {}),
      ...(rootException ? { rootException: { message: rootException } } : {}),
    };
  } catch (err) {
    if (err instanceof FlinkRestError && err.status === 404) return { kind: 'unknown-job' };
    if (err instanceof FlinkUnreachable || err instanceof FlinkRestError) return { kind: 'unreachable', message: err.message };
    throw err;
  }
}

/** Whether the JobManager's Kubernetes Job will bring a JobManager back: read only when no JobManager pod is left. */
async function readJobManagerJob(ctx: FunctionContext, job: JobResource, pods: V1Pod[]): Promise<JobManagerJob> {
  if (pods.some((p) => p.metadata?.labels?.component === 'jobmanager' && !p.metadata.deletionTimestamp)) return { kind: 'not-read' };
  const name = jobManagerName(job.spec.metadata.id);
  try {
    const jm = await ctx.kube.api<V1Job>(JOBS).get({ namespace: job.spec.spec.targetNamespace, name });
    if (jm.metadata?.deletionTimestamp) return { kind: 'gone', name };
    const failed = jm.status?.conditions?.find((c) => c.type === 'Failed' && c.status === 'True');
    return failed ? { kind: 'failed', name, message: failed.message ?? failed.reason ?? 'Failed' } : { kind: 'present' };
  } catch (err) {
    if (isNotFound(err)) return { kind: 'gone', name };
    throw err;
  }
}

export default defineFunction({
  name: 'onJobPodStatus',
  description: "Derives a Job's state from Flink's REST API and its JobManager and TaskManager pods",
  subscriptions: [
    // Pods are never listed cluster-wide: a resync goes through the Jobs, whose pods it lists per target namespace.
    { ...when(PODS).isAnyChange().withLabels(JOB_PODS_SELECTOR).in('cluster'), resync: false },
    when(FLINK_JOBS).isCreatedOrUpdated(),
  ],
  permissions,
  // Flink changes a starting or restarting job's state without any pod event: look again soon.
  recheck: { resource: FLINK_JOBS, due: (object) => inTransition((object as JobResource).status, Date.now()) },
  // All pods of one job are decided together.
  lockKey: (event) => {
    const labels = event.mode === 'resource' ? event.object.metadata.labels : undefined;
    return event.ref.kind === FLINK_JOBS.kind ? `job/${event.ref.name}` : `job/${labels?.vvpNamespace}.${labels?.jobId ?? event.ref.name}`;
  },
  async handle(event, ctx) {
    const name = await jobName(event, ctx);
    if (!name) return { result: 'skipped', reason: 'not a Flink job pod' };
    const jobs = ctx.crs.jobs;
    // A Job's own event carries it: no need to read it again. Were it stale, its write fails
    // (versioned) and the newer version's own event decides instead.
    const carried = event.mode === 'resource' && event.ref.kind === FLINK_JOBS.kind ? (event.object as JobResource) : undefined;
    const job = carried ?? (await jobs.get(name));
    if (!job) return { result: 'skipped', reason: `job ${name} is not Sluice's` };
    // No state yet: deploymentStep has not finished creating the job's objects, and marks
    // it STARTING when it has (that write brings the job back here). Writing a state first
    // would tell it the objects exist.
    if (!job.status?.state) return { result: 'skipped', reason: `job ${name} is still being created` };
    // Its state is decided (ended, or being stopped): no pods to read, nothing would change.
    if (decided(job.status)) return { result: 'skipped', reason: `job ${job.status.state}: decided` };
    const namespace = job.spec.spec.targetNamespace;
    // A pod in a namespace other than its job's target is not that job's, whatever its labels say.
    if (event.ref.kind === PODS.kind && event.ref.namespace !== namespace)
      return { result: 'skipped', reason: "pod outside its job's target namespace" };

    // The job's pods as of this pod event or later: given the event's resourceVersion, the API
    // server answers from its watch cache ("not older than"), instead of reading every pod of
    // the namespace from etcd for each pod change. Other events read through (a quorum list).
    const version = event.ref.kind === PODS.kind && event.mode === 'resource' ? event.object.metadata.resourceVersion : undefined;
    const pods = await ctx.kube.api<V1Pod>(PODS).list({
      namespace,
      labelSelector: jobPodsSelector(job.spec.metadata.id),
      ...(version && /^[1-9][0-9]*$/.test(version) ? { resourceVersion: version } : {}),
    });
    const expected = taskManagerCount(job.spec.spec.template.spec);
    const jobManagerJob = await readJobManagerJob(ctx, job, pods.items as V1Pod[]);
    const derive = async () =>
      deriveJobStatus(
        job.status,
        pods.items as V1Pod[],
        expected,
        new Date().toISOString(),
        await observeFlink(job, pods.items as V1Pod[]),
        jobManagerJob,
      );
    let status = await derive();
    // All pods up and Flink still submitting or scheduling the job: it usually runs within
    // seconds, so wait a little here rather than for the next recheck.
    const allReady = status.pods && status.pods.ready >= status.pods.expected;
    for (const deadline = Date.now() + FLINK_POLL_BUDGET_MS; allReady && status.state === 'STARTING' && Date.now() < deadline;) {
      await new Promise((r) => setTimeout(r, FLINK_POLL_INTERVAL_MS));
      status = await derive();
    }
    const recheck = inTransition(status, Date.now());
    if (stableHash(status) === stableHash(job.status ?? {}))
      return { result: 'skipped', reason: `job ${status.state}: unchanged`, recheck };
    try {
      await jobs.replaceStatus({ ...job, status });
    } catch (err) {
      if (isConflict(err) && carried)
        return { result: 'skipped', reason: `stale: job ${name} changed since this event; its newer version's event decides` };
      // The pod event must be decided again against the newer job: ask for redelivery.
      if (isConflict(err)) throw new Unavailable(`job ${name} changed meanwhile; retry`);
      throw err;
    }
    return {
      result: 'handled',
      reason: `job ${status.state}${status.started?.observedFlinkJobStatus ? ` (Flink: ${status.started.observedFlinkJobStatus})` : ''}`,
      recheck,
    };
  },
});
