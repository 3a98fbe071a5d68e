import type { V1ConfigMap, V1Pod, V1Secret } from '@kubernetes/client-node';
import { isAlreadyExists, isConflict, isNotFound } from '../../shared/kube/client.js';
import { JOB_RESOURCES_FINALIZER, LABELS } from '../../shared/model/naming.js';
import { CONFIG_MAPS, FLINK_DEPLOYMENTS, FLINK_JOBS, PODS, SAVEPOINTS, SECRETS } from '../../shared/kube/resources.js';
import { type FunctionContext, type ObjectEvent, defineFunction, when } from '../../shared/runtime/define.js';
import { permissions } from './permissions.js';
import { Unavailable } from '../../shared/runtime/errors.js';
import type { DeploymentResource, JobResource, SavepointResource } from '../../shared/model/index.js';
import {
  childObjects,
  configSecret,
  jobPodsSelector,
  jobSecretValues,
  parentConfigMap,
  parentName,
  taskManagerCount,
} from '../../shared/vvp/flink-resources.js';
import { SecretValueStore } from '../../shared/vvp/secret-values.js';
import { configuredResolver } from '../../shared/vvp/flink-rest.js';
import { type EventDraft, EventLog } from '../../shared/vvp/event-log.js';
import { cancelledInFlink, deriveJobStatus } from '../../shared/vvp/job-status.js';
import { eventIdFor, eventsOfAction } from './events.js';
import { type Action, awaitsPatchSet, planDeletion, planDeployment, validatesCopy } from './logic.js';
import { takeSavepoint } from './take-savepoint.js';

/**
 * Records a Deployment's events. The step's work is done by then: an event that cannot be
 * recorded is logged, not retried (a redelivery would not decide it again).
 */
async function recordEvents(ctx: FunctionContext, d: DeploymentResource, drafts: readonly EventDraft[], when?: string): Promise<void> {
  if (drafts.length === 0) return;
  try {
    await new EventLog(ctx.kube, ctx.settings.platformNamespace).record(
      d,
      drafts.map((draft) => ({ draft, id: eventIdFor(d, draft, when) })),
      ctx.store,
    );
  } catch (err) {
    ctx.log.warn({ err, deployment: d.spec.metadata.id, events: drafts.map((e) => e.name) }, 'could not record events');
  }
}

/** Plans carried out per event: a savepoint that reached its end is acted on in the same step. */
const MAX_ROUNDS = 3;

/** The Deployment an event is about: itself, or the one a Job or Savepoint belongs to. */
function deploymentName(event: ObjectEvent): string | undefined {
  if (event.ref.kind === FLINK_DEPLOYMENTS.kind) return event.ref.name;
  if (event.mode !== 'resource') return undefined;
  if (event.ref.kind === SAVEPOINTS.kind)
    return (event.object as SavepointResource).metadata.ownerReferences?.find((o) => o.kind === FLINK_DEPLOYMENTS.kind)?.name;
  return (event.object as JobResource).spec?.spec?.deploymentObjectName;
}

/**
 * A job whose configuration references secret values gets it in a Secret, the values put in.
 * One that cannot (a value missing or unusable) is FAILED with the reason, naming no value;
 * false then, and nothing else is created.
 */
async function ensureConfigSecret(ctx: FunctionContext, job: JobResource, parentUid: string): Promise<boolean> {
  const names = jobSecretValues(job);
  if (names.length === 0) return true;
  const values = await new SecretValueStore(ctx.kube, ctx.settings.platformNamespace).values(job.spec.metadata.namespace, names);
  let secret: V1Secret;
  try {
    secret = configSecret(job, values, parentUid);
  } catch (err) {
    const failedAt = new Date().toISOString();
    await ctx.crs.jobs.replaceStatus({
      ...job,
      status: {
        ...job.status,
        state: 'FAILED',
        failure: { reason: 'SecretValueUnavailable', message: (err as Error).message, failedAt },
        terminatedAt: failedAt,
      },
    });
    return false;
  }
  try {
    await ctx.kube.api<V1Secret>(SECRETS).create({ namespace: job.spec.spec.targetNamespace, body: secret });
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
  }
  return true;
}

/** Creates the job's Kubernetes objects (parent ConfigMap first), then marks it STARTING. */
async function ensureJobResources(ctx: FunctionContext, job: JobResource): Promise<void> {
  const namespace = job.spec.spec.targetNamespace;
  let parent: V1ConfigMap;
  try {
    parent = await ctx.kube.api<V1ConfigMap>(CONFIG_MAPS).create({ namespace, body: parentConfigMap(job) });
  } catch (err) {
    // onDeploymentTargetCreate makes the namespace; its event may simply come later.
    if (isNotFound(err)) throw new Unavailable(`target namespace ${namespace} does not exist yet; retry`, { cause: err });
    if (!isAlreadyExists(err)) throw err;
    parent = await ctx.kube.api<V1ConfigMap>(CONFIG_MAPS).get({ namespace, name: parentName(job.spec.metadata.id) });
  }
  if (!(await ensureConfigSecret(ctx, job, parent.metadata!.uid!))) return;
  for (const child of childObjects(job, parent.metadata!.uid!)) {
    try {
      await ctx.kube.create(child);
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
  }
  if (!job.status?.state) {
    await ctx.crs.jobs.replaceStatus({ ...job, status: { ...job.status, state: 'STARTING' } });
  }
}

/**
 * Stops a job, or clears up after one that ended: deleting its parent ConfigMap lets garbage
 * collection remove the rest. A job that ended keeps its state (FAILED, FINISHED) and records
 * that its objects are gone; any other becomes TERMINATED.
 */
async function terminateJob(ctx: FunctionContext, job: JobResource): Promise<void> {
  try {
    await ctx.kube.api<V1ConfigMap>(CONFIG_MAPS).delete({
      namespace: job.spec.spec.targetNamespace,
      name: parentName(job.spec.metadata.id),
      body: { propagationPolicy: 'Background' },
    });
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  const ended = job.status?.state === 'FAILED' || job.status?.state === 'FINISHED' || cancelledInFlink(job.status);
  const status = ended
    ? { ...job.status!, sluice: { ...job.status!.sluice, resourcesDeleted: true } }
    : { ...job.status, state: 'TERMINATED' as const, terminatedAt: job.status?.terminatedAt ?? new Date().toISOString() };
  await ctx.crs.jobs.replaceStatus({ ...job, status });
}

/** The Deployment with its finalizer added or removed (a metadata write: no new generation). */
async function setFinalizer(ctx: FunctionContext, d: DeploymentResource, present: boolean): Promise<DeploymentResource> {
  const others = (d.metadata.finalizers ?? []).filter((f) => f !== JOB_RESOURCES_FINALIZER);
  return ctx.crs.deployments.replace({
    ...d,
    metadata: { ...d.metadata, finalizers: present ? [...others, JOB_RESOURCES_FINALIZER] : others },
  });
}

/** The savepoint failed to stop the job: its pods decide its state again, from STARTED. */
async function resumeJob(ctx: FunctionContext, job: JobResource): Promise<void> {
  const pods = await ctx.kube.api<V1Pod>(PODS).list({
    namespace: job.spec.spec.targetNamespace,
    labelSelector: jobPodsSelector(job.spec.metadata.id),
  });
  const status = deriveJobStatus(
    { ...job.status, state: 'STARTED' },
    pods.items as V1Pod[],
    taskManagerCount(job.spec.spec.template.spec),
    new Date().toISOString(),
  );
  await ctx.crs.jobs.replaceStatus({ ...job, status });
}

async function createSavepoint(ctx: FunctionContext, savepoint: SavepointResource): Promise<void> {
  const savepoints = ctx.crs.savepoints;
  let created: SavepointResource;
  try {
    created = await savepoints.create(savepoint);
  } catch (err) {
    // Same derived id: this transition's savepoint is recorded already (a redelivery, or a racing instance).
    if (isAlreadyExists(err)) return;
    throw err;
  }
  try {
    await savepoints.replaceStatus({ ...created, status: { state: 'STARTED', sluice: { attempt: 1 } } });
  } catch (err) {
    // Someone moved it on meanwhile; a Savepoint without status is STARTED anyway.
    if (!isConflict(err)) throw err;
  }
}

async function carryOut(
  ctx: FunctionContext,
  d: DeploymentResource,
  action: Action,
): Promise<{ deployment: DeploymentResource; again?: boolean }> {
  switch (action.type) {
    case 'terminateJob':
      await terminateJob(ctx, action.job);
      return { deployment: d };
    case 'addFinalizer':
      return { deployment: await setFinalizer(ctx, d, true) };
    case 'removeFinalizer':
      return { deployment: await setFinalizer(ctx, d, false) };
    case 'writeStatus':
      return { deployment: await ctx.crs.deployments.replaceStatus({ ...d, status: action.status }) };
    case 'createJob': {
      let job: JobResource;
      try {
        job = await ctx.crs.jobs.create(action.job);
      } catch (err) {
        // Same deterministic id: another delivery created it first.
        if (!isAlreadyExists(err)) throw err;
        job = (await ctx.crs.jobs.get(action.job.metadata.name))!;
      }
      await ensureJobResources(ctx, job);
      return { deployment: d };
    }
    case 'ensureJobResources':
      await ensureJobResources(ctx, action.job);
      return { deployment: d };
    case 'createSavepoint':
      await createSavepoint(ctx, action.savepoint);
      return { deployment: d };
    case 'markJobTerminating':
      await ctx.crs.jobs.replaceStatus({ ...action.job, status: { ...action.job.status, state: 'TERMINATING' } });
      return { deployment: d };
    case 'takeSavepoint':
      return {
        deployment: d,
        again: await takeSavepoint(ctx, d, action, {
          resolve: configuredResolver(ctx.kube),
          record: (drafts, key) => recordEvents(ctx, d, drafts, key),
        }),
      };
    case 'resumeJob':
      await resumeJob(ctx, action.job);
      return { deployment: d, again: true };
    case 'failSavepoint': {
      const now = new Date().toISOString();
      await ctx.crs.savepoints.replaceStatus({
        ...action.savepoint,
        status: { ...action.savepoint.status, state: 'FAILED', failure: { ...action.failure, failedAt: now } },
      });
      return { deployment: d };
    }
  }
}

/** What a step plans from: the Deployment, and its jobs (being deleted) or its current Job and its Savepoints. */
interface Observed {
  deployment: DeploymentResource;
  jobs?: readonly JobResource[];
  job?: JobResource;
  savepoints?: readonly SavepointResource[];
}

/**
 * Reads what planning `d` needs. `known` is what the step holds already (its event's copy of
 * the current Job, or what it read a moment ago): used instead of reading it again.
 */
async function observe(
  ctx: FunctionContext,
  d: DeploymentResource,
  known: { job?: JobResource; savepoints?: readonly SavepointResource[] } = {},
): Promise<Observed> {
  const byDeployment = `${LABELS.deploymentId}=${d.spec.metadata.id}`;
  if (d.metadata.deletionTimestamp) return { deployment: d, jobs: await ctx.crs.jobs.list(byDeployment) };
  const current = d.status?.sluice?.job;
  const jobName = current && `${d.spec.metadata.namespace}.${current.id}`;
  const job = jobName ? (known.job?.metadata.name === jobName ? known.job : await ctx.crs.jobs.get(jobName)) : undefined;
  return { deployment: d, job, savepoints: known.savepoints ?? (await ctx.crs.savepoints.list(byDeployment)) };
}

/** What to do next: the Deployment's deletion, or a step towards its desired state. */
const planOf = (o: Observed) =>
  o.jobs ? planDeletion(o.deployment, o.jobs) : planDeployment(o.deployment, o.job, new Date().toISOString(), o.savepoints);

const sameVersion = (a: { metadata: { resourceVersion?: string } } | undefined, b: { metadata: { resourceVersion?: string } }) =>
  a?.metadata.resourceVersion !== undefined && a.metadata.resourceVersion === b.metadata.resourceVersion;

/** The copy of the Deployment or Job an event carries (ApiServerSource's resource mode, a resync's list). */
function carriedCopy(event: ObjectEvent): { deployment?: DeploymentResource; job?: JobResource } {
  if (event.mode !== 'resource' || event.verb === 'delete') return {};
  if (event.ref.kind === FLINK_DEPLOYMENTS.kind) return { deployment: event.object as DeploymentResource };
  if (event.ref.kind === FLINK_JOBS.kind) return { job: event.object as JobResource };
  return {};
}

export default defineFunction({
  name: 'deploymentStep',
  description:
    "Starts, upgrades, suspends and cancels a Deployment's Jobs (taking savepoints where needed, and those users ask for), and derives its status from them",
  // A Savepoint's creation: one a user asked for is taken without waiting for another change.
  subscriptions: [when(FLINK_DEPLOYMENTS).isCreatedOrUpdated(), when(FLINK_JOBS).isUpdated(), when(SAVEPOINTS).isCreated()],
  permissions,
  lockKey: (event) => `deployment/${deploymentName(event) ?? event.ref.name}`,
  async handle(event, ctx) {
    const name = deploymentName(event);
    if (!name) return { result: 'skipped', reason: 'job without a deployment' };
    // The event carries its object: a step plans from that copy instead of reading it again
    // (a stale copy is safe where validatesCopy says, and planned again from a fresh read elsewhere).
    let carried = carriedCopy(event);
    if (carried.deployment && !carried.deployment.metadata.deletionTimestamp && awaitsPatchSet(carried.deployment))
      return { result: 'skipped', reason: 'waiting for the patch set to be applied to this generation' };
    let reason: string | undefined;
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const read = carried.deployment ?? (await ctx.crs.deployments.get(name));
      if (!read) return { result: 'skipped', reason: 'deployment no longer exists' };
      let observed = await observe(ctx, read, { job: carried.job });
      let plan = planOf(observed);
      // Nothing to do is safe to conclude from a stale copy: the newer version's own event
      // runs this step, with its own copy, and reads the other objects afresh.
      if (plan.actions.length === 0) return reason ? { result: 'handled', reason } : { result: 'skipped', reason: plan.reason };
      const fromCopy = carried.deployment !== undefined && validatesCopy(plan);
      // Any other plan made from a copy: the copied object is read afresh (the rest of what
      // the plan used was read in this step), and the plan made again if it had changed.
      let changed = false;
      if (carried.deployment && !fromCopy) {
        const fresh = await ctx.crs.deployments.get(name);
        if (!fresh) return { result: 'skipped', reason: 'deployment no longer exists' };
        changed = !sameVersion(fresh, carried.deployment);
        if (changed) observed = await observe(ctx, fresh, { job: observed.job, savepoints: observed.savepoints });
      } else if (carried.job && observed.job === carried.job) {
        const fresh = await ctx.crs.jobs.get(carried.job.metadata.name);
        changed = !sameVersion(fresh, carried.job);
        if (changed) observed = { ...observed, job: fresh };
      }
      if (changed) {
        plan = planOf(observed);
        if (plan.actions.length === 0) return reason ? { result: 'handled', reason } : { result: 'skipped', reason: plan.reason };
      }
      let deployment = observed.deployment;
      carried = {};
      let again = false;
      let done = 0;
      try {
        for (const action of plan.actions) {
          const result = await carryOut(ctx, deployment, action);
          done++;
          await recordEvents(ctx, deployment, eventsOfAction(deployment, action));
          deployment = result.deployment;
          again ||= result.again ?? false;
        }
      } catch (err) {
        // The event's copy was stale (or its Deployment is gone): its first write failed before
        // anything was done; plan again from what is stored.
        if ((isConflict(err) || isNotFound(err)) && fromCopy && done === 0) {
          round--;
          continue;
        }
        // Someone wrote in between: the newer version's event will run this step again.
        if (isConflict(err)) return { result: 'skipped', reason: 'stale: the deployment or job changed meanwhile' };
        throw err;
      }
      reason = reason ? `${reason}; ${plan.reason}` : plan.reason;
      if (!again) break;
    }
    return { result: 'handled', reason: reason! };
  },
});
