import type { V1ConfigMap } from '@kubernetes/client-node';
import { CrClient } from '../../shared/cr-client.js';
import { isAlreadyExists, isConflict, isNotFound } from '../../shared/kube.js';
import { FLINK_DEPLOYMENTS, FLINK_JOBS } from '../../shared/resources.js';
import { type FunctionContext, type ObjectEvent, defineFunction, when } from '../../shared/runtime/define.js';
import { Unavailable } from '../../shared/runtime/errors.js';
import type { DeploymentResource, JobResource } from '../../shared/vvp/crs.js';
import { childObjects, parentConfigMap, parentName } from '../../shared/vvp/flink-resources.js';
import { type Action, planDeployment } from './logic.js';

const jobsOf = (ctx: FunctionContext) => new CrClient<JobResource>(ctx.kube, FLINK_JOBS, ctx.settings.platformNamespace);
const deploymentsOf = (ctx: FunctionContext) => new CrClient<DeploymentResource>(ctx.kube, FLINK_DEPLOYMENTS, ctx.settings.platformNamespace);

/** The Deployment an event is about: itself, or the one a Job belongs to. */
function deploymentName(event: ObjectEvent): string | undefined {
  if (event.ref.kind === FLINK_DEPLOYMENTS.kind) return event.ref.name;
  if (event.mode === 'resource') return (event.object as unknown as JobResource).spec?.spec?.deploymentObjectName;
  return undefined;
}

/** Creates the job's Kubernetes objects (parent ConfigMap first), then marks it STARTING. */
async function ensureJobResources(ctx: FunctionContext, job: JobResource): Promise<void> {
  const namespace = job.spec.spec.targetNamespace;
  let parent: V1ConfigMap;
  try {
    parent = await ctx.kube.core.createNamespacedConfigMap({ namespace, body: parentConfigMap(job) });
  } catch (err) {
    // The target's namespace is made by onDeploymentTargetCreate, maybe not yet: retry later.
    if (isNotFound(err)) throw new Unavailable(`target namespace ${namespace} does not exist yet; is deployment target ${job.spec.spec.deploymentTargetId ?? ''} ready?`);
    if (!isAlreadyExists(err)) throw err;
    parent = await ctx.kube.core.readNamespacedConfigMap({ namespace, name: parentName(job.spec.metadata.id) });
  }
  for (const child of childObjects(job, parent.metadata!.uid!)) {
    try {
      await ctx.kube.objects.create(child);
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
  }
  if (!job.status?.state) {
    await jobsOf(ctx).replaceStatus({ ...job, status: { ...job.status, state: 'STARTING' } });
  }
}

/** Stops a job: deleting its parent ConfigMap lets garbage collection remove the rest. */
async function terminateJob(ctx: FunctionContext, job: JobResource): Promise<void> {
  try {
    await ctx.kube.core.deleteNamespacedConfigMap({
      namespace: job.spec.spec.targetNamespace,
      name: parentName(job.spec.metadata.id),
      body: { propagationPolicy: 'Background' },
    });
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  if (job.status?.state !== 'TERMINATED' && job.status?.state !== 'FAILED' && job.status?.state !== 'FINISHED') {
    await jobsOf(ctx).replaceStatus({ ...job, status: { ...job.status, state: 'TERMINATED' } });
  }
}

async function carryOut(ctx: FunctionContext, d: DeploymentResource, action: Action): Promise<DeploymentResource> {
  switch (action.type) {
    case 'terminateJob':
      await terminateJob(ctx, action.job);
      return d;
    case 'writeStatus':
      return deploymentsOf(ctx).replaceStatus({ ...d, status: action.status });
    case 'createJob': {
      let job: JobResource;
      try {
        job = await jobsOf(ctx).create(action.job);
      } catch (err) {
        // Same deterministic id: another delivery created it first.
        if (!isAlreadyExists(err)) throw err;
        job = (await jobsOf(ctx).get(action.job.metadata.name))!;
      }
      await ensureJobResources(ctx, job);
      return d;
    }
    case 'ensureJobResources':
      await ensureJobResources(ctx, action.job);
      return d;
  }
}

export default defineFunction({
  name: 'deploymentStep',
  description: 'Starts, upgrades, suspends and cancels a Deployment\'s Jobs, and derives its status from them',
  subscriptions: [when(FLINK_DEPLOYMENTS).isCreatedOrUpdated(), when(FLINK_JOBS).isUpdated()],
  permissions: [
    { apiGroups: ['sluice.dev'], resources: ['flinkdeployments', 'flinkjobs'], verbs: ['get', 'list', 'watch'], scope: 'platform' },
    { apiGroups: ['sluice.dev'], resources: ['flinkdeployments/status', 'flinkjobs/status'], verbs: ['update'], scope: 'platform' },
    { apiGroups: ['sluice.dev'], resources: ['flinkjobs'], verbs: ['create'], scope: 'platform' },
    { apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'create', 'delete'], scope: 'targets' },
    { apiGroups: [''], resources: ['services'], verbs: ['create'], scope: 'targets' },
    { apiGroups: ['batch'], resources: ['jobs'], verbs: ['create'], scope: 'targets' },
    { apiGroups: ['apps'], resources: ['deployments'], verbs: ['create'], scope: 'targets' },
  ],
  lockKey: (event) => `deployment/${deploymentName(event) ?? event.ref.name}`,
  async handle(event, ctx) {
    const name = deploymentName(event);
    if (!name) return { result: 'skipped', reason: 'job without a deployment' };
    let deployment = await deploymentsOf(ctx).get(name);
    if (!deployment) return { result: 'skipped', reason: 'deployment no longer exists' };
    const current = deployment.status?.sluice?.job;
    const job = current ? await jobsOf(ctx).get(`${deployment.spec.metadata.namespace}.${current.id}`) : undefined;
    const plan = planDeployment(deployment, job, new Date().toISOString());
    if (plan.actions.length === 0) return { result: 'skipped', reason: plan.reason };
    try {
      for (const action of plan.actions) deployment = await carryOut(ctx, deployment, action);
    } catch (err) {
      // Someone wrote in between: the newer version's event will run this step again.
      if (isConflict(err) && !isAlreadyExists(err)) return { result: 'skipped', reason: 'stale: the deployment or job changed meanwhile' };
      throw err;
    }
    return { result: 'handled', reason: plan.reason };
  },
});
