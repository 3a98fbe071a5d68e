import { CrClient } from '../../shared/kube/cr-client.js';
import { apiMessage, isConflict, statusCode } from '../../shared/kube/client.js';
import { ensureNamespaceClaimed } from '../../shared/operator/claim.js';
import {
  ANNOTATIONS,
  type CrRef,
  type InitialSavepoint,
  type VvpDeploymentCr,
  type VvpDeploymentStatus,
  crLockKey,
  managedByValue,
  parseManagedBy,
  sameRef,
} from '../../shared/operator/cr.js';
import { crAccess, mayWrite } from '../../shared/operator/credentials.js';
import { FLINK_DEPLOYMENTS, VVP_DEPLOYMENTS } from '../../shared/kube/resources.js';
import { type FunctionContext, type ObjectEvent, type Outcome, defineFunction, when } from '../../shared/runtime/define.js';
import { permissions } from './permissions.js';
import { BadInput, Unavailable } from '../../shared/runtime/errors.js';
import { withLock } from '../../shared/runtime/step.js';
import type { ConditionInput } from '../../shared/vvp/conditions.js';
import type { DeploymentResource } from '../../shared/model/index.js';
import type { DeploymentWriteOptions } from '../../shared/vvp/platform/deployments.js';
import { Platform } from '../../shared/vvp/service.js';
import {
  type DeploymentWrite,
  type SyncDecision,
  type SyncObservation,
  crStatus,
  decideSync,
  identify,
  managerOf,
  refOf,
  writeBack,
  writeBackRefused,
  writeRefused,
} from './logic.js';

const NAME = 'onCrChanged';

const crsIn = (ctx: FunctionContext, namespace: string) => new CrClient<VvpDeploymentCr>(ctx.kube, VVP_DEPLOYMENTS, namespace);
const isCrEvent = (event: ObjectEvent) => event.ref.kind === VVP_DEPLOYMENTS.kind && event.ref.apiVersion === VVP_DEPLOYMENTS.apiVersion;

/** The CR an event is about, as far as the event itself tells. */
function crRefOf(event: ObjectEvent): CrRef | undefined {
  if (isCrEvent(event)) return event.ref.namespace ? { namespace: event.ref.namespace, name: event.ref.name } : undefined;
  return event.mode === 'resource' ? parseManagedBy(event.object.metadata.annotations?.[ANNOTATIONS.managedBy]) : undefined;
}

function lockKey(event: ObjectEvent): string {
  const ref = crRefOf(event);
  return ref ? crLockKey(ref) : `flinkdeployment/${event.ref.name}`;
}

/** Removes the `managed-by-cr` annotation (and nothing else) from a Deployment that `ref` no longer manages. */
async function unlink(platform: Platform, d: DeploymentResource, ref: CrRef): Promise<boolean> {
  if (!sameRef(parseManagedBy(d.metadata.annotations?.[ANNOTATIONS.managedBy]), ref)) return false;
  const { [ANNOTATIONS.managedBy]: _gone, ...annotations } = d.metadata.annotations ?? {};
  try {
    await platform.deployments.replace({ ...d, metadata: { ...d.metadata, annotations } });
  } catch (err) {
    if (isConflict(err)) throw new Unavailable(`deployment ${d.metadata.name} changed meanwhile; retry`);
    throw err;
  }
  return true;
}

/**
 * The CR is gone: the Deployment stays as it is (deleting a CR never deletes a Flink job),
 * but is no longer recorded as managed by it.
 */
async function forget(ref: CrRef, event: ObjectEvent, platform: Platform): Promise<Outcome> {
  let candidates: DeploymentResource[];
  if (!isCrEvent(event)) {
    const d = await platform.deployments.get(event.ref.name);
    candidates = d ? [d] : [];
  } else if (event.mode === 'resource') {
    const id = identify(event.object as VvpDeploymentCr);
    const d = id.ok ? await platform.findDeployment(id.vns, id.name) : undefined;
    candidates = d ? [d] : [];
  } else {
    candidates = await platform.deployments.list();
  }
  let unlinked = 0;
  for (const d of candidates) if (await unlink(platform, d, ref)) unlinked++;
  return {
    result: unlinked ? 'handled' : 'skipped',
    reason: `VvpDeployment ${managedByValue(ref)} is gone${unlinked ? ': its Deployment is kept, no longer managed by it' : ''}`,
  };
}

/** Whether another CR still exists and names the same Deployment (then it keeps it). */
async function stillManagedBy(ctx: FunctionContext, holder: CrRef, vns: string, name: string): Promise<boolean> {
  if (!ctx.settings.watchedNamespaces.includes(holder.namespace)) return false;
  const other = await crsIn(ctx, holder.namespace).get(holder.name);
  const id = other ? identify(other) : undefined;
  return !!id?.ok && id.vns === vns && id.name === name;
}

/**
 * The operator's initial savepoint: a Savepoint record of the given location for the new
 * Deployment (COMPLETED: VVP leaves that to the user). Skipped when the Deployment
 * already has one there, so a step repeated before its marker was dropped records it once.
 */
async function importInitialSavepoint(platform: Platform, vns: string, d: DeploymentResource, sp: InitialSavepoint): Promise<void> {
  const deploymentId = d.spec.metadata.id;
  const existing = await platform.listSavepoints(vns, deploymentId);
  if (existing.some((s) => s.spec.spec.savepointLocation === sp.savepointLocation)) return;
  await platform.createSavepoint(vns, {
    metadata: { deploymentId },
    spec: { savepointLocation: sp.savepointLocation, ...(sp.flinkSavepointId ? { flinkSavepointId: sp.flinkSavepointId } : {}) },
  });
}

function parseInitialSavepoint(value: string): InitialSavepoint | undefined {
  try {
    const sp = JSON.parse(value) as Partial<InitialSavepoint>;
    return typeof sp.savepointLocation === 'string' ? (sp as InitialSavepoint) : undefined;
  } catch {
    return undefined; // not ours to repair: the marker is dropped
  }
}

/** Carries out a decided Deployment write; a refusal of the CR's content is a BadInput. */
async function writeDeployment(platform: Platform, vns: string, name: string, write: DeploymentWrite): Promise<DeploymentResource> {
  const opts: DeploymentWriteOptions = { annotations: write.annotations, patchSetFailure: 'record' };
  switch (write.action) {
    case 'create':
      return platform.createDeployment(vns, write.body, opts);
    case 'patch':
      return platform.patchDeployment(vns, name, write.body, opts);
    case 'replace':
      return platform.replaceDeployment(vns, name, write.body, opts);
  }
}

/** Where a step stands once the sync is done (or not): the CR and Deployment as now stored, and what the status says of the sync. */
interface Synced {
  cr: VvpDeploymentCr;
  deployment?: DeploymentResource;
  synced?: ConditionInput;
  observedGeneration?: number;
  reason: string;
  /** Whether anything was written (a Deployment, the CR's spec). */
  wrote: boolean;
}

/**
 * Carries out a `sync` decision: the Deployment write, then its result written back into the
 * CR's spec. `stale` when the CR changed meanwhile (its own event runs the step again).
 */
async function sync(
  ctx: FunctionContext,
  platform: Platform,
  { cr, vns, name, deployment: found }: SyncObservation,
  decision: Extract<SyncDecision, { kind: 'sync' }>,
): Promise<Synced | 'stale'> {
  let deployment = found;
  if (decision.write) {
    try {
      deployment = await writeDeployment(platform, vns, name, decision.write);
    } catch (err) {
      if (!(err instanceof BadInput)) throw err;
      // Changed or created concurrently, or deleted meanwhile: decide again on what is there now.
      if (err.status === 409 || err.status === 404)
        throw new Unavailable(`deployment ${name} in namespace ${vns} changed meanwhile; retry`);
      const synced = writeRefused(err.message);
      const kept = cr.status?.observedGeneration;
      return { cr, deployment, synced, observedGeneration: kept, reason: `not synced: ${synced.message}`, wrote: false };
    }
  }
  const wrote = !!decision.write;
  const back = deployment && writeBack(cr, deployment);
  if (!back) return { cr, deployment, synced: decision.synced, observedGeneration: cr.metadata.generation, reason: decision.reason, wrote };
  try {
    const current = await crsIn(ctx, cr.metadata.namespace).replace({ ...cr, spec: { ...cr.spec, deployment: back } });
    const observedGeneration = current.metadata.generation;
    return { cr: current, deployment, synced: decision.synced, observedGeneration, reason: decision.reason, wrote: true };
  } catch (err) {
    if (isConflict(err)) return 'stale';
    if (statusCode(err) !== 422) throw err;
    const kept = cr.status?.observedGeneration;
    return { cr, deployment, synced: writeBackRefused(apiMessage(err)), observedGeneration: kept, reason: 'status mirrored', wrote };
  }
}

/** Where a step stands that syncs nothing: the CR and the Deployment as read, and why. */
function unsynced({ cr, deployment }: SyncObservation, decision: Exclude<SyncDecision, { kind: 'sync' }>): Synced {
  const synced = decision.kind === 'mirror' ? {} : { synced: decision.synced };
  return { cr, deployment, ...synced, observedGeneration: cr.status?.observedGeneration, reason: decision.reason, wrote: false };
}

/** A Deployment created with an initial savepoint: records it (once), then drops the marker. */
async function importPendingSavepoint(platform: Platform, vns: string, d: DeploymentResource): Promise<DeploymentResource> {
  const pending = d.metadata.annotations?.[ANNOTATIONS.initialSavepoint];
  if (!pending) return d;
  const sp = parseInitialSavepoint(pending);
  if (sp) await importInitialSavepoint(platform, vns, d, sp);
  const { [ANNOTATIONS.initialSavepoint]: _done, ...annotations } = d.metadata.annotations ?? {};
  try {
    return await platform.deployments.replace({ ...d, metadata: { ...d.metadata, annotations } });
  } catch (err) {
    if (isConflict(err)) throw new Unavailable(`deployment ${d.metadata.name} changed meanwhile; retry`);
    throw err;
  }
}

/** Another CR that manages the Deployment and still names it (then it keeps it), if any. */
async function otherManagerOf(
  ctx: FunctionContext,
  ref: CrRef,
  d: DeploymentResource | undefined,
  vns: string,
  name: string,
): Promise<CrRef | undefined> {
  const holder = managerOf(d);
  return holder && !sameRef(holder, ref) && (await stillManagedBy(ctx, holder, vns, name)) ? holder : undefined;
}

/** Writes the CR's status unless it is unchanged; `wrote` says whether the step changed anything before. */
async function writeCrStatus(
  ctx: FunctionContext,
  cr: VvpDeploymentCr,
  status: VvpDeploymentStatus,
  outcome: Outcome,
  wrote: boolean,
): Promise<Outcome> {
  switch (await crsIn(ctx, cr.metadata.namespace).writeStatusIfChanged(cr, status)) {
    case 'stale':
      return { result: 'skipped', reason: 'stale: the CR changed meanwhile' };
    case 'unchanged':
      return wrote ? outcome : { result: 'skipped', reason: `unchanged: ${outcome.reason}` };
    case 'written':
      return outcome;
  }
}

/** One reconcile of one CR: sync it into its Deployment when needed, then mirror the Deployment's status back. */
async function reconcile(ctx: FunctionContext, cr: VvpDeploymentCr): Promise<Outcome> {
  const now = new Date().toISOString();
  const id = identify(cr);
  if (!id.ok) {
    const status = crStatus({ cr, synced: id.condition, mirror: false, now });
    return writeCrStatus(ctx, cr, status, { result: 'handled', reason: id.condition.message }, false);
  }
  const { vns, name } = id;

  const access = await crAccess(ctx, cr, vns);
  if (!access.ok) {
    // Left alone: nothing synced, nothing of the Deployment shown; only why.
    const synced: ConditionInput = { type: 'Synced', status: 'False', reason: access.reason, message: access.message };
    const status = crStatus({ cr, synced, mirror: false, now });
    return writeCrStatus(ctx, cr, status, { result: 'handled', reason: `not reconciled: ${access.message}` }, false);
  }

  const platform = new Platform(ctx.kube, ctx.settings);
  const found = await platform.findDeployment(vns, name);
  const observed: SyncObservation = {
    cr,
    vns,
    name,
    deployment: found,
    otherManager: await otherManagerOf(ctx, refOf(cr), found, vns, name),
  };
  const decision = decideSync(observed);
  const done = decision.kind === 'sync' ? await sync(ctx, platform, observed, decision) : unsynced(observed, decision);
  if (done === 'stale') return { result: 'skipped', reason: 'stale: the CR changed meanwhile' };

  const deployment =
    done.deployment && mayWrite(access, vns, 'savepoints') ? await importPendingSavepoint(platform, vns, done.deployment) : done.deployment;
  const markerDropped = deployment !== done.deployment;
  const status = crStatus({
    cr: done.cr,
    vns,
    ...(deployment ? { deployment } : {}),
    state: decision.kind === 'hold' ? 'IDLING' : 'SYNCING',
    ...(done.observedGeneration !== undefined ? { observedGeneration: done.observedGeneration } : {}),
    ...(done.synced ? { synced: done.synced } : {}),
    mirror: true,
    now,
  });
  return writeCrStatus(ctx, done.cr, status, { result: 'handled', reason: done.reason }, done.wrote || markerDropped);
}

/** The CR's step, after the checks that it is watched and claimed. */
async function reconcileRef(ctx: FunctionContext, ref: CrRef, event: ObjectEvent): Promise<Outcome> {
  const claim = await ensureNamespaceClaimed(ctx, ref.namespace);
  if (!claim.claimed) {
    const why =
      claim.reason === 'held'
        ? `namespace ${ref.namespace} is claimed by operator identity "${claim.holder}", not "${ctx.settings.operatorIdentity}"`
        : `namespace ${ref.namespace} does not exist`;
    if (claim.reason === 'held')
      ctx.log.error({ namespace: ref.namespace, holder: claim.holder }, 'watched namespace claimed by another operator identity');
    return { result: 'skipped', reason: why };
  }
  const platform = new Platform(ctx.kube, ctx.settings);
  const cr = await crsIn(ctx, ref.namespace).get(ref.name);
  if (!cr) return forget(ref, event, platform);
  if (!isCrEvent(event)) {
    // A Deployment event: if the CR now names another Deployment, this one is no longer its.
    const id = identify(cr);
    const d = await platform.deployments.get(event.ref.name);
    if (d && (!id.ok || id.vns !== d.spec.metadata.namespace || id.name !== d.spec.metadata.name)) {
      await unlink(platform, d, ref);
      return {
        result: 'handled',
        reason: `VvpDeployment ${managedByValue(ref)} names another Deployment now: this one is no longer managed by it`,
      };
    }
  }
  return reconcile(ctx, cr);
}

export default defineFunction({
  name: NAME,
  description: 'The VvpDeployment operator: syncs CRs in the watched namespaces into Deployments, and Deployment status back into the CRs',
  subscriptions: [
    when(VVP_DEPLOYMENTS).isAnyChange().in('watched'),
    // Status changes driven by pods reach the CR through its Deployment's updates.
    when(FLINK_DEPLOYMENTS).isUpdated(),
  ],
  permissions,
  lockKey,
  async handle(event, ctx) {
    let ref = crRefOf(event);
    if (!isCrEvent(event) && event.mode === 'reference') {
      // A reference carries no annotations: read the Deployment to find its CR.
      const d = await new Platform(ctx.kube, ctx.settings).deployments.get(event.ref.name);
      ref = parseManagedBy(d?.metadata.annotations?.[ANNOTATIONS.managedBy]);
    }
    if (!ref) return { result: 'skipped', reason: 'not managed by a VvpDeployment' };
    // The subscription's scope already restricts CR events; a Deployment's annotation could name anything.
    if (!ctx.settings.watchedNamespaces.includes(ref.namespace))
      return { result: 'skipped', reason: `namespace ${ref.namespace} is not watched` };
    const target = ref;
    // A Deployment event whose lock could not name the CR: take the CR's lock now.
    if (lockKey(event) !== crLockKey(target))
      return withLock(ctx.store, `${NAME}:${crLockKey(target)}`, () => reconcileRef(ctx, target, event));
    return reconcileRef(ctx, target, event);
  },
});
