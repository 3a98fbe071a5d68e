import type { V1ConfigMap, V1Pod, V1Secret } from '@kubernetes/client-node';
import { CrClient } from '../../shared/cr-client.js';
import { isAlreadyExists, isConflict, isNotFound } from '../../shared/kube.js';
import { JOB_RESOURCES_FINALIZER, LABELS } from '../../shared/model/naming.js';
import { FLINK_DEPLOYMENTS, FLINK_JOBS, SAVEPOINTS } from '../../shared/resources.js';
import { type FunctionContext, type ObjectEvent, defineFunction, when } from '../../shared/runtime/define.js';
import { Unavailable } from '../../shared/runtime/errors.js';
import type { DeploymentResource, JobResource, SavepointBookkeeping, SavepointResource, SavepointStatusLike } from '../../shared/vvp/crs.js';
import { HA_CONFIGMAP_VERBS, childObjects, configSecret, flinkJobId, jobSecretValues, parentConfigMap, parentName, taskManagerCount } from '../../shared/vvp/flink-resources.js';
import { SecretValueStore } from '../../shared/vvp/secret-values.js';
import { type FlinkEndpointResolver, FlinkRestClient, FlinkRestError, FlinkUnreachable, podIpResolver, serviceDnsResolver } from '../../shared/vvp/flink-rest.js';
import { type EventDraft, EventLog } from '../../shared/vvp/event-log.js';
import { cancelledInFlink, deriveJobStatus } from '../onJobPodStatus/logic.js';
import { type SavepointProgress, eventIdFor, eventsOfAction, savepointEvent } from './events.js';
import {
  type Action,
  type TriggerObservation,
  flinkTriggerIdFor,
  planDeletion,
  planDeployment,
  savepointProgress,
} from './logic.js';

const jobsOf = (ctx: FunctionContext) => new CrClient<JobResource>(ctx.kube, FLINK_JOBS, ctx.settings.platformNamespace);
const deploymentsOf = (ctx: FunctionContext) => new CrClient<DeploymentResource>(ctx.kube, FLINK_DEPLOYMENTS, ctx.settings.platformNamespace);
const savepointsOf = (ctx: FunctionContext) => new CrClient<SavepointResource>(ctx.kube, SAVEPOINTS, ctx.settings.platformNamespace);

/**
 * Records a Deployment's events. The step's work is done by then: an event that cannot be
 * recorded is logged, not retried (a redelivery would not decide it again).
 */
async function recordEvents(ctx: FunctionContext, d: DeploymentResource, drafts: readonly EventDraft[], when?: string): Promise<void> {
  if (drafts.length === 0) return;
  try {
    await new EventLog(ctx.kube, ctx.settings.platformNamespace).record(d, drafts.map((draft) => ({ draft, id: eventIdFor(d, draft, when) })));
  } catch (err) {
    ctx.log.warn({ err, deployment: d.spec.metadata.id, events: drafts.map((e) => e.name) }, 'could not record events');
  }
}

/**
 * How long one step follows a savepoint before it answers 5xx ("in progress; retry") so that
 * the Broker (or the in-process DeliveryQueue) redelivers the event with backoff: a step
 * never holds its lock, or a function instance, for the whole length of a savepoint.
 */
export const SAVEPOINT_POLL_BUDGET_MS = 3_000;
const POLL_INTERVAL_MS = 200;
/** Trigger records in the coordination store outlive any savepoint (attempts × timeout). */
const TRIGGER_RECORD_TTL_MS = 7 * 24 * 3600_000;
/** A trigger claimed this long ago whose answer was never recorded: the step that claimed it died. */
const PENDING_STALE_MS = 30_000;
/** Plans carried out per event: a savepoint that reached its end is acted on in the same step. */
const MAX_ROUNDS = 3;

/**
 * Where the JobManager's REST API is. By default through the JobManager pod's IP (works
 * without cluster DNS, and against the pod simulator's stand-ins); SLUICE_FLINK_ENDPOINT=service-dns
 * uses the Service's DNS name `job-<id>-jobmanager.<ns>.svc:8081` instead.
 */
let resolverOverride: FlinkEndpointResolver | undefined;
export function useFlinkEndpointResolver(resolver: FlinkEndpointResolver | undefined): void {
  resolverOverride = resolver;
}
function resolverFor(ctx: FunctionContext): FlinkEndpointResolver {
  if (resolverOverride) return resolverOverride;
  return process.env.SLUICE_FLINK_ENDPOINT === 'service-dns' ? serviceDnsResolver() : podIpResolver(ctx.kube.core);
}

/** The idempotency record of one trigger attempt, keyed on (job, purpose, attempt). */
export const triggerKey = (jobId: string, purpose: string, attempt: number) => `savepoint/${jobId}/${purpose}/attempt-${attempt}`;
/** Where a completed savepoint's location is kept until the Savepoint records it. */
export const resultKey = (jobId: string, purpose: string) => `savepoint/${jobId}/${purpose}/location`;

export type TriggerRecord =
  | { state: 'pending'; at: string; triggerId?: string }
  | { state: 'triggered'; at: string; id: string }
  | { state: 'failed'; at: string; reason: string; message: string };

function parseRecord(value: string | null): TriggerRecord | undefined {
  if (!value) return undefined;
  try {
    return JSON.parse(value) as TriggerRecord;
  } catch {
    return undefined;
  }
}

/** The Deployment an event is about: itself, or the one a Job or Savepoint belongs to. */
function deploymentName(event: ObjectEvent): string | undefined {
  if (event.ref.kind === FLINK_DEPLOYMENTS.kind) return event.ref.name;
  if (event.mode !== 'resource') return undefined;
  if (event.ref.kind === SAVEPOINTS.kind) return (event.object as unknown as SavepointResource).metadata.ownerReferences?.find((o) => o.kind === FLINK_DEPLOYMENTS.kind)?.name;
  return (event.object as unknown as JobResource).spec?.spec?.deploymentObjectName;
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
    await jobsOf(ctx).replaceStatus({ ...job, status: { ...job.status, state: 'FAILED', failure: { reason: 'SecretValueUnavailable', message: (err as Error).message, failedAt }, terminatedAt: failedAt } });
    return false;
  }
  try {
    await ctx.kube.core.createNamespacedSecret({ namespace: job.spec.spec.targetNamespace, body: secret });
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
    parent = await ctx.kube.core.createNamespacedConfigMap({ namespace, body: parentConfigMap(job) });
  } catch (err) {
    // onDeploymentTargetCreate makes the namespace; its event may simply come later.
    if (isNotFound(err)) throw new Unavailable(`target namespace ${namespace} does not exist yet; retry`, { cause: err });
    if (!isAlreadyExists(err)) throw err;
    parent = await ctx.kube.core.readNamespacedConfigMap({ namespace, name: parentName(job.spec.metadata.id) });
  }
  if (!(await ensureConfigSecret(ctx, job, parent.metadata!.uid!))) return;
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

/**
 * Stops a job, or clears up after one that ended: deleting its parent ConfigMap lets garbage
 * collection remove the rest. A job that ended keeps its state (FAILED, FINISHED) and records
 * that its objects are gone; any other becomes TERMINATED.
 */
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
  const ended = job.status?.state === 'FAILED' || job.status?.state === 'FINISHED' || cancelledInFlink(job.status);
  const status = ended ? { ...job.status!, sluice: { ...job.status!.sluice, resourcesDeleted: true } } : { ...job.status, state: 'TERMINATED' as const, terminatedAt: job.status?.terminatedAt ?? new Date().toISOString() };
  await jobsOf(ctx).replaceStatus({ ...job, status });
}

/** The Deployment with its finalizer added or removed (a metadata write: no new generation). */
async function setFinalizer(ctx: FunctionContext, d: DeploymentResource, present: boolean): Promise<DeploymentResource> {
  const others = (d.metadata.finalizers ?? []).filter((f) => f !== JOB_RESOURCES_FINALIZER);
  return deploymentsOf(ctx).replace({ ...d, metadata: { ...d.metadata, finalizers: present ? [...others, JOB_RESOURCES_FINALIZER] : others } });
}

/** The savepoint failed to stop the job: its pods decide its state again, from STARTED. */
async function resumeJob(ctx: FunctionContext, job: JobResource): Promise<void> {
  const pods = await ctx.kube.core.listNamespacedPod({
    namespace: job.spec.spec.targetNamespace,
    labelSelector: `app=flink-job,system=ververica-platform,jobId=${job.spec.metadata.id}`,
  });
  const status = deriveJobStatus({ ...job.status, state: 'STARTED' }, pods.items as V1Pod[], taskManagerCount(job.spec.spec.template.spec), new Date().toISOString());
  await jobsOf(ctx).replaceStatus({ ...job, status });
}

async function createSavepoint(ctx: FunctionContext, savepoint: SavepointResource): Promise<void> {
  const savepoints = savepointsOf(ctx);
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

/**
 * Takes one savepoint that stops a job, as far as one step's budget goes: each attempt is
 * triggered at most once (an idempotency record claimed in the coordination store before
 * the request, holding Flink's trigger id after it, and copied onto the Savepoint), then
 * followed until Flink reports it, until it times out, or until the budget is used up
 * (Unavailable: redelivery resumes it). Returns true when the savepoint reached an end.
 */
async function takeSavepoint(ctx: FunctionContext, d: DeploymentResource, action: Extract<Action, { type: 'takeSavepoint' }>): Promise<boolean> {
  const { job, request } = action;
  /** One event per savepoint, attempt and outcome, however often a step follows it. */
  const note = (progress: SavepointProgress, attempt: number) =>
    recordEvents(ctx, d, [savepointEvent(sp!, progress)], `savepoint/${sp!.spec.metadata.id}/${progress.kind}/${attempt}`);
  const savepoints = savepointsOf(ctx);
  const jobId = job.spec.metadata.id;
  const fid = flinkJobId(jobId);
  let client: FlinkRestClient | undefined;
  // Short timeouts: a step stays well inside its lock's lifetime even when the JobManager does not answer.
  const flink = async () =>
    (client ??= new FlinkRestClient(await resolverFor(ctx)({ namespace: job.spec.spec.targetNamespace, jobId }), { timeoutMs: 3_000, retries: 1 }));
  const stale = (err: unknown) => new Unavailable(`savepoint ${action.savepoint.spec.metadata.id} changed meanwhile; retry`, { cause: err });

  let sp = await savepoints.get(action.savepoint.metadata.name);
  if (!sp) throw new Unavailable(`savepoint ${action.savepoint.spec.metadata.id} is not recorded yet; retry`);
  const writeStatus = async (status: SavepointStatusLike): Promise<SavepointResource> => {
    try {
      return await savepoints.replaceStatus({ ...sp!, status });
    } catch (err) {
      if (isConflict(err) || isNotFound(err)) throw stale(err);
      throw err;
    }
  };
  const keep = (book: SavepointBookkeeping): SavepointStatusLike => ({ ...sp!.status, state: sp!.status?.state ?? 'STARTED', sluice: book });

  /** What Flink says about the current attempt; adopts a trigger a dead step recorded only in the store. */
  const observe = async (attempt: number): Promise<TriggerObservation> => {
    const location = await ctx.store.recall(resultKey(jobId, request.purpose));
    if (location) return { kind: 'completed', location };
    const book = sp!.status?.sluice ?? {};
    let trigger = book.trigger?.attempt === attempt ? book.trigger : undefined;
    if (!trigger) {
      const record = parseRecord(await ctx.store.recall(triggerKey(jobId, request.purpose, attempt)));
      if (!record) return { kind: 'none' };
      if (record.state === 'failed') return { kind: 'failed', reason: record.reason, message: record.message };
      if (record.state === 'pending') {
        if (Date.now() - Date.parse(record.at) < PENDING_STALE_MS) {
          throw new Unavailable(`another instance is triggering savepoint ${sp!.spec.metadata.id} (attempt ${attempt}); retry`);
        }
        // Its step died between asking Flink and recording the answer. With an idempotent
        // trigger id, asking again is safe; without one, whether Flink started it is unknown.
        if (record.triggerId) return { kind: 'none' };
        return {
          kind: 'failed',
          reason: 'TriggerInterrupted',
          message: `the step that triggered attempt ${attempt} stopped before it recorded Flink's answer`,
        };
      }
      trigger = { attempt, id: record.id, at: record.at };
      sp = await writeStatus(keep({ ...book, trigger }));
    }
    try {
      const status = await (await flink()).savepointStatus(fid, trigger.id);
      if (status.state === 'IN_PROGRESS') return { kind: 'in-progress' };
      if (status.state === 'COMPLETED') return { kind: 'completed', location: status.location };
      return { kind: 'failed', reason: 'SavepointFailed', message: status.message };
    } catch (err) {
      if (err instanceof FlinkRestError && err.status === 404) {
        return { kind: 'failed', reason: 'TriggerUnknown', message: `the JobManager does not know trigger ${trigger.id} (${err.message})` };
      }
      if (err instanceof FlinkUnreachable || err instanceof FlinkRestError) return { kind: 'unreachable', message: err.message };
      throw err;
    }
  };

  /** Claims the attempt, asks Flink to stop the job with a savepoint, records the trigger id. */
  const trigger = async (attempt: number): Promise<void> => {
    const key = triggerKey(jobId, request.purpose, attempt);
    const triggerId = request.idempotentTrigger ? flinkTriggerIdFor(sp!.spec.metadata.id, attempt) : undefined;
    const at = new Date().toISOString();
    const claimed = await ctx.store.claim(key, TRIGGER_RECORD_TTL_MS, JSON.stringify({ state: 'pending', at, ...(triggerId ? { triggerId } : {}) }));
    if (!claimed) {
      const record = parseRecord(await ctx.store.recall(key));
      const resend = record?.state === 'pending' && record.triggerId && Date.now() - Date.parse(record.at) >= PENDING_STALE_MS;
      if (!resend) return; // another delivery's: observe() follows it
    }
    let id: string;
    try {
      const client = await flink();
      id = request.stopsJob
        ? await client.stopWithSavepoint(fid, request.targetDirectory, triggerId)
        : await client.triggerSavepoint(fid, request.targetDirectory, triggerId);
    } catch (err) {
      if (!(err instanceof FlinkUnreachable || err instanceof FlinkRestError)) throw err;
      const reason = err instanceof FlinkUnreachable ? 'JobManagerUnreachable' : 'TriggerRefused';
      await ctx.store.remember(key, TRIGGER_RECORD_TTL_MS, JSON.stringify({ state: 'failed', at, reason, message: err.message }));
      return;
    }
    await ctx.store.remember(key, TRIGGER_RECORD_TTL_MS, JSON.stringify({ state: 'triggered', at, id }));
    sp = await writeStatus(keep({ ...sp!.status?.sluice, attempt, trigger: { attempt, id, at } }));
    ctx.log.info({ savepoint: sp.spec.metadata.id, job: jobId, attempt, trigger: id }, 'savepoint triggered');
    await note({ kind: 'triggered', attempt, triggerId: id }, attempt);
  };

  const deadline = Date.now() + SAVEPOINT_POLL_BUDGET_MS;
  for (;;) {
    if (sp.status?.state === 'COMPLETED' || sp.status?.state === 'FAILED') return true;
    const attempt = sp.status?.sluice?.attempt ?? 1;
    const observation = await observe(attempt);
    // Read after observe(): it may have adopted a dead step's trigger onto the Savepoint.
    const book = sp.status?.sluice ?? {};
    const step = savepointProgress(sp, observation, new Date().toISOString(), request);
    const now = new Date().toISOString();
    switch (step.do) {
      case 'trigger': {
        const before = sp.metadata.resourceVersion;
        await trigger(attempt);
        // Nothing recorded (another delivery holds the claim): look again after a pause.
        if (sp.metadata.resourceVersion === before) await new Promise((r) => setTimeout(r, POLL_INTERVAL_MS));
        break;
      }
      case 'wait':
        if (Date.now() >= deadline) {
          throw new Unavailable(`savepoint ${sp.spec.metadata.id} in progress (attempt ${attempt} of ${request.maxAttempts}: ${step.reason}); retry`);
        }
        await new Promise((r) => setTimeout(r, POLL_INTERVAL_MS));
        break;
      case 'retry': {
        const failures = [...(book.failures ?? []), { attempt, ...step.failure, at: now }];
        ctx.log.warn({ savepoint: sp.spec.metadata.id, job: jobId, attempt, reason: step.failure.message }, 'savepoint attempt failed');
        const { trigger: _done, ...rest } = book;
        sp = await writeStatus(keep({ ...rest, attempt: step.attempt, failures }));
        await note({ kind: 'retry', attempt, maxAttempts: request.maxAttempts, failure: step.failure }, attempt);
        break;
      }
      case 'fail': {
        const failures = [...(book.failures ?? []), { attempt, ...step.failure, at: now }];
        ctx.log.warn({ savepoint: sp.spec.metadata.id, job: jobId, reason: step.failure.message }, 'savepoint failed');
        sp = await writeStatus({ state: 'FAILED', failure: { ...step.failure, failedAt: now }, sluice: { ...book, failures } });
        await note({ kind: 'failed', failure: step.failure }, attempt);
        return true;
      }
      case 'complete': {
        // The location first into the store: a JobManager that stopped may not answer again.
        await ctx.store.remember(resultKey(jobId, request.purpose), TRIGGER_RECORD_TTL_MS, step.location);
        if (sp.spec.spec.savepointLocation !== step.location) {
          try {
            sp = await savepoints.replace({
              ...sp,
              spec: { metadata: { ...sp.spec.metadata, modifiedAt: now }, spec: { ...sp.spec.spec, savepointLocation: step.location } },
            });
          } catch (err) {
            if (isConflict(err) || isNotFound(err)) throw stale(err);
            throw err;
          }
        }
        sp = await writeStatus({ state: 'COMPLETED', sluice: book });
        ctx.log.info({ savepoint: sp.spec.metadata.id, job: jobId, location: step.location }, 'savepoint completed');
        await note({ kind: 'completed', location: step.location }, attempt);
        return true;
      }
    }
  }
}

async function carryOut(ctx: FunctionContext, d: DeploymentResource, action: Action): Promise<{ deployment: DeploymentResource; again?: boolean }> {
  switch (action.type) {
    case 'terminateJob':
      await terminateJob(ctx, action.job);
      return { deployment: d };
    case 'addFinalizer':
      return { deployment: await setFinalizer(ctx, d, true) };
    case 'removeFinalizer':
      return { deployment: await setFinalizer(ctx, d, false) };
    case 'writeStatus':
      return { deployment: await deploymentsOf(ctx).replaceStatus({ ...d, status: action.status }) };
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
      return { deployment: d };
    }
    case 'ensureJobResources':
      await ensureJobResources(ctx, action.job);
      return { deployment: d };
    case 'createSavepoint':
      await createSavepoint(ctx, action.savepoint);
      return { deployment: d };
    case 'markJobTerminating':
      await jobsOf(ctx).replaceStatus({ ...action.job, status: { ...action.job.status, state: 'TERMINATING' } });
      return { deployment: d };
    case 'takeSavepoint':
      return { deployment: d, again: await takeSavepoint(ctx, d, action) };
    case 'resumeJob':
      await resumeJob(ctx, action.job);
      return { deployment: d, again: true };
    case 'failSavepoint': {
      const now = new Date().toISOString();
      await savepointsOf(ctx).replaceStatus({ ...action.savepoint, status: { ...action.savepoint.status, state: 'FAILED', failure: { ...action.failure, failedAt: now } } });
      return { deployment: d };
    }
  }
}

/** What to do next for `d`: its deletion, or a step towards its desired state. */
async function planFor(ctx: FunctionContext, d: DeploymentResource) {
  const byDeployment = `${LABELS.deploymentId}=${d.spec.metadata.id}`;
  if (d.metadata.deletionTimestamp) return planDeletion(d, await jobsOf(ctx).list(byDeployment));
  const current = d.status?.sluice?.job;
  const job = current ? await jobsOf(ctx).get(`${d.spec.metadata.namespace}.${current.id}`) : undefined;
  return planDeployment(d, job, new Date().toISOString(), await savepointsOf(ctx).list(byDeployment));
}

export default defineFunction({
  name: 'deploymentStep',
  description: 'Starts, upgrades, suspends and cancels a Deployment\'s Jobs (taking savepoints where needed, and those users ask for), and derives its status from them',
  // A Savepoint's creation: one a user asked for is taken without waiting for another change.
  subscriptions: [when(FLINK_DEPLOYMENTS).isCreatedOrUpdated(), when(FLINK_JOBS).isUpdated(), when(SAVEPOINTS).isCreated()],
  permissions: [
    { apiGroups: ['sluice.dev'], resources: ['flinkdeployments', 'flinkjobs', 'savepoints'], verbs: ['get', 'list', 'watch'], scope: 'platform' },
    { apiGroups: ['sluice.dev'], resources: ['flinkdeployments/status', 'flinkjobs/status', 'savepoints/status'], verbs: ['update'], scope: 'platform' },
    // Its finalizer, while a job of the Deployment may have objects in the target namespace.
    { apiGroups: ['sluice.dev'], resources: ['flinkdeployments'], verbs: ['update'], scope: 'platform' },
    { apiGroups: ['sluice.dev'], resources: ['flinkjobs'], verbs: ['create'], scope: 'platform' },
    { apiGroups: ['sluice.dev'], resources: ['savepoints'], verbs: ['create', 'update'], scope: 'platform' },
    // get/create/delete for the parent; the rest because a job with Kubernetes HA gets a Role
    // with these rights, and RBAC lets Sluice grant only what it holds.
    { apiGroups: [''], resources: ['configmaps'], verbs: HA_CONFIGMAP_VERBS, scope: 'targets' },
    { apiGroups: [''], resources: ['serviceaccounts'], verbs: ['create'], scope: 'targets' },
    { apiGroups: ['rbac.authorization.k8s.io'], resources: ['roles', 'rolebindings'], verbs: ['create'], scope: 'targets' },
    { apiGroups: [''], resources: ['services'], verbs: ['create'], scope: 'targets' },
    // The JobManager pod's IP (its REST API), and the pods' state when a savepoint failed.
    { apiGroups: [''], resources: ['pods'], verbs: ['list'], scope: 'targets' },
    { apiGroups: ['batch'], resources: ['jobs'], verbs: ['create'], scope: 'targets' },
    // Secret values a job's configuration references, read; the job's configuration Secret, created.
    { apiGroups: [''], resources: ['secrets'], verbs: ['get'], scope: 'platform' },
    { apiGroups: [''], resources: ['secrets'], verbs: ['create'], scope: 'targets' },
    // Deployments' event logs: recorded, and the oldest beyond the bound deleted.
    { apiGroups: [''], resources: ['events'], verbs: ['create', 'list', 'delete'], scope: 'platform' },
    { apiGroups: ['apps'], resources: ['deployments'], verbs: ['create'], scope: 'targets' },
  ],
  lockKey: (event) => `deployment/${deploymentName(event) ?? event.ref.name}`,
  async handle(event, ctx) {
    const name = deploymentName(event);
    if (!name) return { result: 'skipped', reason: 'job without a deployment' };
    let reason: string | undefined;
    for (let round = 0; round < MAX_ROUNDS; round++) {
      let deployment = await deploymentsOf(ctx).get(name);
      if (!deployment) return { result: 'skipped', reason: 'deployment no longer exists' };
      const plan = await planFor(ctx, deployment);
      if (plan.actions.length === 0) return reason ? { result: 'handled', reason } : { result: 'skipped', reason: plan.reason };
      let again = false;
      try {
        for (const action of plan.actions) {
          const done = await carryOut(ctx, deployment, action);
          await recordEvents(ctx, deployment, eventsOfAction(deployment, action));
          deployment = done.deployment;
          again ||= done.again ?? false;
        }
      } catch (err) {
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
