import type { V1Pod } from '@kubernetes/client-node';
import { CrClient } from '../../shared/cr-client.js';
import { isConflict } from '../../shared/kube.js';
import { FLINK_JOBS, PODS } from '../../shared/resources.js';
import { type FunctionContext, type ObjectEvent, defineFunction, when } from '../../shared/runtime/define.js';
import { Unavailable } from '../../shared/runtime/errors.js';
import type { JobResource } from '../../shared/vvp/crs.js';
import { taskManagerCount } from '../../shared/vvp/flink-resources.js';
import { stableHash } from '../../shared/vvp/ids.js';
import { deriveJobStatus } from './logic.js';

const SELECTOR = 'app=flink-job,system=ververica-platform';

const jobsOf = (ctx: FunctionContext) => new CrClient<JobResource>(ctx.kube, FLINK_JOBS, ctx.settings.platformNamespace);

/** The Job an event is about: `<vns>.<jobId>` from a pod's labels, or the FlinkJob itself. */
async function jobName(event: ObjectEvent, ctx: FunctionContext): Promise<string | undefined> {
  if (event.ref.kind === FLINK_JOBS.kind) return event.ref.name;
  let labels = event.mode === 'resource' ? event.object.metadata.labels : undefined;
  if (!labels?.jobId) {
    // Reference mode carries no labels: read the pod (gone after a delete: the job's other pods still decide).
    const pod = await ctx.kube.core.readNamespacedPod({ namespace: event.ref.namespace!, name: event.ref.name }).catch(() => undefined);
    labels = pod?.metadata?.labels;
  }
  return labels?.jobId && labels.vvpNamespace ? `${labels.vvpNamespace}.${labels.jobId}` : undefined;
}

export default defineFunction({
  name: 'onJobPodStatus',
  description: "Derives a Job's state from its JobManager and TaskManager pods",
  subscriptions: [
    // Pods are never listed cluster-wide: a resync goes through the Jobs, whose pods it lists per target namespace.
    { ...when(PODS).isAnyChange().withLabels(SELECTOR).in('cluster'), resync: false },
    when(FLINK_JOBS).isCreatedOrUpdated(),
  ],
  permissions: [
    { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'], scope: 'targets' },
    { apiGroups: ['sluice.dev'], resources: ['flinkjobs'], verbs: ['get', 'list', 'watch'], scope: 'platform' },
    { apiGroups: ['sluice.dev'], resources: ['flinkjobs/status'], verbs: ['update'], scope: 'platform' },
  ],
  // All pods of one job are decided together.
  lockKey: (event) => {
    const labels = event.mode === 'resource' ? event.object.metadata.labels : undefined;
    return event.ref.kind === FLINK_JOBS.kind ? `job/${event.ref.name}` : `job/${labels?.vvpNamespace}.${labels?.jobId ?? event.ref.name}`;
  },
  async handle(event, ctx) {
    const name = await jobName(event, ctx);
    if (!name) return { result: 'skipped', reason: 'not a Flink job pod' };
    const jobs = jobsOf(ctx);
    const job = await jobs.get(name);
    if (!job) return { result: 'skipped', reason: `job ${name} is not Sluice's` };
    // No state yet: deploymentStep has not finished creating the job's objects, and marks
    // it STARTING when it has (that write brings the job back here). Writing a state first
    // would tell it the objects exist.
    if (!job.status?.state) return { result: 'skipped', reason: `job ${name} is still being created` };
    const namespace = job.spec.spec.targetNamespace;
    // A pod in a namespace other than its job's target is not that job's, whatever its labels say.
    if (event.ref.kind === PODS.kind && event.ref.namespace !== namespace) return { result: 'skipped', reason: "pod outside its job's target namespace" };

    // The job's pods as of this pod event or later: given the event's resourceVersion, the API
    // server answers from its watch cache ("not older than"), instead of reading every pod of
    // the namespace from etcd for each pod change. Other events read through (a quorum list).
    const version = event.ref.kind === PODS.kind && event.mode === 'resource' ? event.object.metadata.resourceVersion : undefined;
    const pods = await ctx.kube.core.listNamespacedPod({
      namespace,
      labelSelector: `${SELECTOR},jobId=${job.spec.metadata.id}`,
      ...(version && /^[1-9][0-9]*$/.test(version) ? { resourceVersion: version } : {}),
    });
    const status = deriveJobStatus(job.status, pods.items as V1Pod[], taskManagerCount(job.spec.spec.template.spec), new Date().toISOString());
    if (stableHash(status) === stableHash(job.status ?? {})) return { result: 'skipped', reason: `job ${status.state}: unchanged` };
    try {
      await jobs.replaceStatus({ ...job, status });
    } catch (err) {
      // The pod event must be decided again against the newer job: ask for redelivery.
      if (isConflict(err)) throw new Unavailable(`job ${name} changed meanwhile; retry`);
      throw err;
    }
    return { result: 'handled', reason: `job ${status.state}` };
  },
});
