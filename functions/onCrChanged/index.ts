import { CrClient } from '../../shared/cr-client.js';
import { apiMessage, isConflict, statusCode } from '../../shared/kube.js';
import { ensureNamespaceClaimed } from '../../shared/operator/claim.js';
import { ANNOTATIONS, type CrRef, type VvpDeploymentCr, crLockKey, managedByValue, parseManagedBy, sameRef } from '../../shared/operator/cr.js';
import { crAccess, mayWrite } from '../../shared/operator/credentials.js';
import { FLINK_DEPLOYMENTS, VVP_DEPLOYMENTS } from '../../shared/resources.js';
import { type FunctionContext, type ObjectEvent, type Outcome, defineFunction, when } from '../../shared/runtime/define.js';
import { BadInput, Unavailable } from '../../shared/runtime/errors.js';
import type { DeploymentResource } from '../../shared/vvp/crs.js';
import { type DeploymentWriteOptions, Platform } from '../../shared/vvp/service.js';
import {
  type ConditionInput,
  type InitialSavepoint,
  type SyncPlan,
  crFieldMessage,
  crStatus,
  identify,
  needsSync,
  planSync,
  refOf,
  sameStatus,
  syncingModeOf,
  syncingOff,
  writeBack,
} from './logic.js';

const NAME = 'onCrChanged';
const LOCK_TTL_MS = 30_000;
const LOCK_WAIT_MS = 5_000;

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

/** Runs `body` under the CR's lock, for a Deployment event whose lock could not name the CR. */
async function withCrLock<T>(ctx: FunctionContext, ref: CrRef, body: () => Promise<T>): Promise<T> {
  const key = `${NAME}:${crLockKey(ref)}`;
  const deadline = Date.now() + LOCK_WAIT_MS;
  let lease = await ctx.store.acquire(key, LOCK_TTL_MS);
  while (!lease) {
    if (Date.now() > deadline) throw new Unavailable(`another instance holds the lock on ${key}; retry later`);
    await new Promise((r) => setTimeout(r, 20 + Math.random() * 40));
    lease = await ctx.store.acquire(key, LOCK_TTL_MS);
  }
  try {
    return await body();
  } finally {
    await ctx.store.release(lease).catch(() => undefined);
  }
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
    const id = identify(event.object as unknown as VvpDeploymentCr);
    const d = id.ok ? await platform.findDeployment(id.vns, id.name) : undefined;
    candidates = d ? [d] : [];
  } else {
    candidates = await platform.deployments.list();
  }
  let unlinked = 0;
  for (const d of candidates) if (await unlink(platform, d, ref)) unlinked++;
  return { result: unlinked ? 'handled' : 'skipped', reason: `VvpDeployment ${managedByValue(ref)} is gone${unlinked ? ': its Deployment is kept, no longer managed by it' : ''}` };
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

async function carryOut(platform: Platform, vns: string, name: string, plan: Extract<SyncPlan, { body: unknown }>, opts: DeploymentWriteOptions): Promise<DeploymentResource> {
  switch (plan.action) {
    case 'create':
      return platform.createDeployment(vns, plan.body, {
        ...opts,
        annotations: { ...opts.annotations, ...(plan.initialSavepoint ? { [ANNOTATIONS.initialSavepoint]: JSON.stringify(plan.initialSavepoint) } : {}) },
      });
    case 'patch':
      return platform.patchDeployment(vns, name, plan.body, opts);
    case 'replace':
      return platform.replaceDeployment(vns, name, plan.body, opts);
  }
}

/** One reconcile of one CR: sync its spec when needed, then mirror the Deployment into its status. */
async function reconcile(ctx: FunctionContext, cr: VvpDeploymentCr): Promise<Outcome> {
  const ref = refOf(cr);
  const crs = crsIn(ctx, ref.namespace);
  const now = () => new Date().toISOString();
  let current = cr;
  /** Whether this step wrote anything before its status (a Deployment, the CR's spec, a savepoint). */
  let wrote = false;
  const finish = async (status: ReturnType<typeof crStatus>, outcome: Outcome): Promise<Outcome> => {
    if (sameStatus(current.status, status)) return wrote ? outcome : { result: 'skipped', reason: `unchanged: ${outcome.reason}` };
    try {
      await crs.replaceStatus({ ...current, status });
    } catch (err) {
      // The CR changed meanwhile: its own event runs this step again on the newer version.
      if (isConflict(err)) return { result: 'skipped', reason: 'stale: the CR changed meanwhile' };
      throw err;
    }
    return outcome;
  };

  const id = identify(cr);
  if (!id.ok) return finish(crStatus({ cr, synced: id.condition, mirror: false, now: now() }), { result: 'handled', reason: id.condition.message });
  const { vns, name } = id;

  const access = await crAccess(ctx, cr, vns);
  if (!access.ok) {
    // Left alone: nothing synced, nothing of the Deployment shown; only why.
    const synced: ConditionInput = { type: 'Synced', status: 'False', reason: access.reason, message: access.message };
    return finish(crStatus({ cr, synced, mirror: false, now: now() }), { result: 'handled', reason: `not reconciled: ${access.message}` });
  }

  const platform = new Platform(ctx.kube, ctx.settings);
  let d = await platform.findDeployment(vns, name);
  const holder = parseManagedBy(d?.metadata.annotations?.[ANNOTATIONS.managedBy]);
  const linked = sameRef(holder, ref);
  const conflict = d && holder && !linked && (await stillManagedBy(ctx, holder, vns, name)) ? holder : undefined;
  const off = syncingOff(cr, d);
  let observedGeneration = cr.status?.observedGeneration;
  let synced: ConditionInput | undefined;
  let reason = 'status mirrored';

  if (conflict) {
    synced = {
      type: 'Synced',
      status: 'False',
      reason: 'ManagedByAnotherCr',
      message: `Deployment ${name} in namespace ${vns} is managed by VvpDeployment ${managedByValue(conflict)}: only one CR may manage a Deployment`,
    };
    reason = synced.message;
  } else if (off) {
    synced = {
      type: 'Synced',
      status: 'False',
      reason: 'SyncingOff',
      message: `CR syncing is off (annotation ${ANNOTATIONS.crSyncing}: "false" on the ${cr.metadata.annotations?.[ANNOTATIONS.crSyncing] === 'false' ? 'CR' : 'Deployment'}): its spec is not synced, the Deployment's status still is`,
    };
    reason = 'syncing off: status mirrored';
  } else if (needsSync(cr, d, linked)) {
    // Never synced into this Deployment yet: it does not carry this CR's annotation (set by the first successful sync).
    const firstAttach = !!d && !linked;
    const plan = planSync({ cr, current: d, firstAttach, linked });
    if (plan.action === 'refuse') {
      synced = plan.condition;
      reason = `not synced: ${plan.condition.message}`;
    } else {
      let refused = false;
      if (plan.action !== 'none') {
        try {
          d = await carryOut(platform, vns, name, plan, { annotations: { [ANNOTATIONS.managedBy]: managedByValue(ref) }, patchSetFailure: 'record' });
          wrote = true;
        } catch (err) {
          if (!(err instanceof BadInput)) throw err;
          // Changed or created concurrently, or deleted meanwhile: decide again on what is there now.
          if (err.status === 409 || err.status === 404) throw new Unavailable(`deployment ${name} in namespace ${vns} changed meanwhile; retry`);
          refused = true;
          synced = { type: 'Synced', status: 'False', reason: 'Refused', message: crFieldMessage(err.message) };
          reason = `not synced: ${synced.message}`;
        }
      }
      if (!refused && d) {
        const back = writeBack(cr, d);
        if (back) {
          try {
            current = await crs.replace({ ...cr, spec: { ...cr.spec, deployment: back } });
            wrote = true;
          } catch (err) {
            if (isConflict(err)) return { result: 'skipped', reason: 'stale: the CR changed meanwhile' };
            if (statusCode(err) !== 422) throw err;
            refused = true;
            synced = { type: 'Synced', status: 'False', reason: 'WriteBackRefused', message: `the Deployment was synced, but writing its result back into spec.deployment was refused: ${apiMessage(err)}` };
          }
        }
        if (!refused) {
          observedGeneration = current.metadata.generation;
          synced = {
            type: 'Synced',
            status: 'True',
            reason: 'Synced',
            message: `synced into Deployment ${name} in namespace ${vns} (${syncingModeOf(cr)} mode)`,
          };
          reason = plan.reason;
        }
      }
    }
  }

  // A Deployment created with an initial savepoint: record it (once), then drop the marker.
  const pending = d?.metadata.annotations?.[ANNOTATIONS.initialSavepoint];
  if (d && pending && mayWrite(access, vns, 'savepoints')) {
    const sp = parseInitialSavepoint(pending);
    if (sp) await importInitialSavepoint(platform, vns, d, sp);
    const { [ANNOTATIONS.initialSavepoint]: _done, ...annotations } = d.metadata.annotations ?? {};
    try {
      d = await platform.deployments.replace({ ...d, metadata: { ...d.metadata, annotations } });
      wrote = true;
    } catch (err) {
      if (isConflict(err)) throw new Unavailable(`deployment ${name} changed meanwhile; retry`);
      throw err;
    }
  }

  const status = crStatus({
    cr: current,
    vns,
    ...(d ? { deployment: d } : {}),
    state: off || conflict ? 'IDLING' : 'SYNCING',
    ...(observedGeneration !== undefined ? { observedGeneration } : {}),
    ...(synced ? { synced } : {}),
    mirror: true,
    now: now(),
  });
  return finish(status, { result: 'handled', reason });
}

/** The CR's step, after the checks that it is watched and claimed. */
async function reconcileRef(ctx: FunctionContext, ref: CrRef, event: ObjectEvent): Promise<Outcome> {
  const claim = await ensureNamespaceClaimed(ctx, ref.namespace);
  if (!claim.claimed) {
    const why =
      claim.reason === 'held'
        ? `namespace ${ref.namespace} is claimed by operator identity "${claim.holder}", not "${ctx.settings.operatorIdentity}"`
        : `namespace ${ref.namespace} does not exist`;
    if (claim.reason === 'held') ctx.log.error({ namespace: ref.namespace, holder: claim.holder }, 'watched namespace claimed by another operator identity');
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
      return { result: 'handled', reason: `VvpDeployment ${managedByValue(ref)} names another Deployment now: this one is no longer managed by it` };
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
  permissions: [
    { apiGroups: ['ververica.platform'], resources: ['vvpdeployments'], verbs: ['get', 'list', 'watch', 'update'], scope: 'watched' },
    { apiGroups: ['ververica.platform'], resources: ['vvpdeployments/status'], verbs: ['update'], scope: 'watched' },
    // The apikeySecretName Secret, and the leader-election ConfigMap that claims the namespace.
    { apiGroups: [''], resources: ['secrets'], verbs: ['get'], scope: 'watched' },
    { apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'create', 'update'], scope: 'watched' },
    { apiGroups: ['sluice.dev'], resources: ['flinkdeployments'], verbs: ['get', 'list', 'watch', 'create', 'update'], scope: 'platform' },
    { apiGroups: ['sluice.dev'], resources: ['deploymenttargets', 'vnamespaces'], verbs: ['get', 'list'], scope: 'platform' },
    // Platform.createSavepoint (the initial savepoint): lists the Deployment's, creates one, removes it if its status write fails.
    { apiGroups: ['sluice.dev'], resources: ['savepoints'], verbs: ['get', 'list', 'create', 'delete'], scope: 'platform' },
    { apiGroups: ['sluice.dev'], resources: ['savepoints/status'], verbs: ['update'], scope: 'platform' },
    // API tokens are Secrets in the platform namespace (TokenStore.resolve).
    { apiGroups: [''], resources: ['secrets'], verbs: ['get'], scope: 'platform' },
  ],
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
    if (!ctx.settings.watchedNamespaces.includes(ref.namespace)) return { result: 'skipped', reason: `namespace ${ref.namespace} is not watched` };
    const target = ref;
    if (lockKey(event) !== crLockKey(target)) return withCrLock(ctx, target, () => reconcileRef(ctx, target, event));
    return reconcileRef(ctx, target, event);
  },
});
