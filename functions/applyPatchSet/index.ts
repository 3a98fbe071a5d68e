import { LABELS, objectName } from '../../shared/model/naming.js';
import { FLINK_DEPLOYMENTS } from '../../shared/kube/resources.js';
import { type FunctionContext, defineFunction, when } from '../../shared/runtime/define.js';
import { permissions } from './permissions.js';
import type { DeploymentResource, TargetResource } from '../../shared/model/index.js';
import { effectiveSpec, hasEffectiveSpec } from './logic.js';

/**
 * Object names of targets found by id, per platform namespace, vNamespace and id. A target's
 * name and id never change, so after the first lookup by id (a list) the next ones are one
 * GET, checked against the id: a target deleted and made again under the same name misses
 * and is looked up afresh. Bounded: targets are few, and a miss only costs the list again.
 */
const targetNames = new Map<string, string>();
const TARGET_NAMES_MAX = 10_000;
/**
 * Lookups by list under way, by the same key: a vNamespace's Deployments stepped at once (a
 * resync steps them side by side) share one list instead of each making it.
 */
const listing = new Map<string, Promise<TargetResource | undefined>>();

/** The target a Deployment names, looked up only inside the Deployment's own vNamespace. */
async function targetOf(ctx: FunctionContext, d: DeploymentResource): Promise<TargetResource | undefined> {
  const targets = ctx.crs.targets;
  const vns = d.spec.metadata.namespace;
  const { deploymentTargetName: name, deploymentTargetId: id } = d.spec.spec;
  if (name) {
    const t = await targets.get(objectName(vns, name));
    return t && (!id || t.spec.metadata.id === id) ? t : undefined;
  }
  if (!id) return undefined;
  const cacheKey = `${ctx.settings.platformNamespace}/${vns}/${id}`;
  const known = targetNames.get(cacheKey);
  if (known) {
    const t = await targets.get(known);
    if (t && t.spec.metadata.id === id && t.spec.metadata.namespace === vns) return t;
    targetNames.delete(cacheKey);
  }
  let lookup = listing.get(cacheKey);
  if (!lookup) {
    lookup = targets
      .list(`${LABELS.vnamespace}=${vns},${LABELS.id}=${id}`)
      .then(([found]) => {
        if (found) {
          if (targetNames.size >= TARGET_NAMES_MAX) targetNames.clear();
          targetNames.set(cacheKey, found.metadata.name);
        }
        return found;
      })
      .finally(() => listing.delete(cacheKey));
    listing.set(cacheKey, lookup);
  }
  return lookup;
}

export default defineFunction({
  name: 'applyPatchSet',
  description: "Records a Deployment's effective spec: its target's JSON patch set applied, or why it failed",
  subscriptions: [when(FLINK_DEPLOYMENTS).isCreatedOrUpdated()],
  settled: (object) => hasEffectiveSpec(object as DeploymentResource),
  permissions,
  async handle(event, ctx) {
    const deployments = ctx.crs.deployments;
    // The event carries the Deployment: no need to read it again. Were the copy stale, its
    // write below fails (versioned) and the newer version's own event decides; a stale copy
    // that needs nothing is no different, since that newer version has its own event too.
    const d =
      event.mode === 'resource' && event.verb !== 'delete' ? (event.object as DeploymentResource) : await deployments.get(event.ref.name);
    if (!d) return { result: 'skipped', reason: 'deployment no longer exists' };
    // Marking it for deletion bumps the generation; nothing plans from an effective spec then
    // (deploymentStep only stops its jobs, the REST API no longer shows it).
    if (d.metadata.deletionTimestamp) return { result: 'skipped', reason: 'being deleted' };
    // Its own status writes do not change the generation: this is what stops the loop.
    if (hasEffectiveSpec(d)) {
      return { result: 'skipped', reason: `generation ${d.metadata.generation} already has its effective spec` };
    }
    const effective = effectiveSpec(d, await targetOf(ctx, d), ctx.settings.platformNamespace, ctx.settings.blobStorageUri);
    const written = await deployments.writeStatusIfChanged(d, { ...d.status, sluice: { ...d.status?.sluice, effective } });
    if (written === 'stale') return { result: 'skipped', reason: 'stale: the deployment changed meanwhile' };
    return { result: 'handled', reason: effective.error ?? `effective spec recorded for generation ${effective.generation}` };
  },
});
