import type { V1Pod } from '@kubernetes/client-node';
import { CrClient } from '../../shared/cr-client.js';
import { isConflict } from '../../shared/kube.js';
import { FLINK_JOBS, PODS } from '../../shared/resources.js';
import { defineFunction, when } from '../../shared/runtime/define.js';
import { Unavailable } from '../../shared/runtime/errors.js';
import type { JobResource } from '../../shared/vvp/crs.js';
import { stableHash } from '../../shared/vvp/ids.js';
import { taskManagerCount } from '../../shared/vvp/flink-resources.js';
import { deriveJobStatus } from './logic.js';

const SELECTOR = 'app=flink-job,system=ververica-platform';

export default defineFunction({
  name: 'onJobPodStatus',
  description: "Derives a Job's state from its JobManager and TaskManager pods",
  subscriptions: [when(PODS).isAnyChange().withLabels(SELECTOR).in('cluster')],
  permissions: [
    { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'], scope: 'targets' },
    { apiGroups: ['sluice.dev'], resources: ['flinkjobs'], verbs: ['get'], scope: 'platform' },
    { apiGroups: ['sluice.dev'], resources: ['flinkjobs/status'], verbs: ['update'], scope: 'platform' },
  ],
  // All pods of one job are decided together.
  lockKey: (event) =>
    `job/${(event.mode === 'resource' ? event.object.metadata.labels?.jobId : undefined) ?? event.ref.name}`,
  async handle(event, ctx) {
    const namespace = event.ref.namespace!;
    let jobId = event.mode === 'resource' ? event.object.metadata.labels?.jobId : undefined;
    let vns = event.mode === 'resource' ? event.object.metadata.labels?.vvpNamespace : undefined;
    if (!jobId || !vns) {
      // Reference mode carries no labels: read the pod (gone after a delete: nothing to decide).
      const pod = await ctx.kube.core.readNamespacedPod({ namespace, name: event.ref.name }).catch(() => undefined);
      jobId = pod?.metadata?.labels?.jobId;
      vns = pod?.metadata?.labels?.vvpNamespace;
      if (!jobId || !vns) return { result: 'skipped', reason: 'not a Flink job pod' };
    }
    const jobs = new CrClient<JobResource>(ctx.kube, FLINK_JOBS, ctx.settings.platformNamespace);
    const job = await jobs.get(`${vns}.${jobId}`);
    if (!job) return { result: 'skipped', reason: `job ${jobId} is not Sluice's` };
    // A pod in a namespace other than its job's target is not that job's, whatever its labels say.
    if (job.spec.spec.targetNamespace !== namespace) return { result: 'skipped', reason: 'pod outside its job\'s target namespace' };

    const pods = await ctx.kube.core.listNamespacedPod({ namespace, labelSelector: `${SELECTOR},jobId=${jobId}` });
    const status = deriveJobStatus(job.status, pods.items as V1Pod[], taskManagerCount(job.spec.spec.template.spec), new Date().toISOString());
    if (stableHash(status) === stableHash(job.status ?? {})) return { result: 'skipped', reason: `job ${status.state}: unchanged` };
    try {
      await jobs.replaceStatus({ ...job, status });
    } catch (err) {
      // The pod event must be decided again against the newer job: ask for redelivery.
      if (isConflict(err)) throw new Unavailable(`job ${jobId} changed meanwhile; retry`);
      throw err;
    }
    return { result: 'handled', reason: `job ${status.state}` };
  },
});
